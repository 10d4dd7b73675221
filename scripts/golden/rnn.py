"""Fixtures for torch.nn.RNN / LSTM / GRU (prefixes rnn_, lstm_, gru_) and RNNCell / LSTMCell / GRUCell (cell_).

Sequence modules: inputs `input` (time-first unless kwargs.batch_first), optional `h0` (and `c0` for LSTM, both or
neither, as torch takes a tuple) and `lengths`. With lengths the batch is packed with
pack_padded_sequence(enforce_sorted=False) (unsorted lengths included) and the output is pad_packed_sequence's, whose
time extent is max(lengths), which some cases make shorter than T. Modules with dropout run in eval mode (dropout is
then the identity). Cells: inputs `input`, optional `hx` (and `cx` for LSTMCell); outputs `h` (and `c`).
Parameters keep torch's default initialisation U(-1/√H, 1/√H), except the `*_scaled*` cell cases (N(0, 1) weights,
which saturate the gates).
"""
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from golden.common import F32, F64, fixture, randomize_

# Variants shared by RNN, LSTM and GRU: (suffix, settings). Settings override BASE; `lengths` is a list (None: every
# item has T steps), `h0` adds initial states, `unbatched` drops the batch dim (torch's [T, I] input).
BASE = dict(input_size=3, hidden_size=4, batch=3, steps=5, num_layers=1, bias=True, batch_first=False,
            bidirectional=False, dropout=0.0, lengths=None, h0=False, dtype=F32, grad=True, unbatched=False)
COMMON = [
    ("basic", {}),
    ("nobias", dict(bias=False)),
    ("batch_first", dict(batch_first=True)),
    ("h0", dict(h0=True)),
    ("layers2", dict(num_layers=2)),
    ("layers3_h0", dict(num_layers=3, h0=True)),
    ("bidir", dict(bidirectional=True)),
    ("bidir_layers2_h0_batch_first", dict(bidirectional=True, num_layers=2, h0=True, batch_first=True)),
    ("lengths_sorted", dict(lengths=[5, 3, 2])),
    ("lengths_unsorted", dict(lengths=[2, 5, 3])),
    ("lengths_short", dict(lengths=[2, 4, 3])),  # max(lengths) < T: the padded output has 4 steps
    ("lengths_ones", dict(lengths=[1, 3, 1], h0=True)),
    ("lengths_full", dict(lengths=[5, 5, 5])),
    ("lengths_bidir_batch_first", dict(lengths=[3, 5, 1], bidirectional=True, batch_first=True)),
    ("lengths_bidir_layers2_h0", dict(lengths=[4, 2, 5], bidirectional=True, num_layers=2, h0=True)),
    ("lengths_short_layers3_bidir_h0_batch_first",
     dict(lengths=[3, 1, 4], num_layers=3, bidirectional=True, h0=True, batch_first=True)),
    ("dropout_eval_layers2", dict(dropout=0.3, num_layers=2)),
    ("batch1", dict(batch=1)),
    ("batch1_lengths_h0", dict(batch=1, lengths=[3], h0=True)),
    ("unbatched", dict(unbatched=True)),
    ("unbatched_h0_bidir_layers2", dict(unbatched=True, h0=True, bidirectional=True, num_layers=2)),
    ("odd_sizes_lengths", dict(input_size=5, hidden_size=7, batch=5, steps=7, lengths=[7, 1, 4, 6, 2])),
    ("wide_forward", dict(input_size=16, hidden_size=32, batch=4, steps=9, grad=False, bidirectional=True)),
    ("f64", dict(dtype=F64)),
    ("f64_bidir_layers2_lengths_h0", dict(dtype=F64, bidirectional=True, num_layers=2, lengths=[3, 5, 2], h0=True)),
    ("f64_batch_first_lengths_short", dict(dtype=F64, batch_first=True, lengths=[4, 1, 3])),
]
EXTRA = {
    "RNN": [
        ("relu", dict(nonlinearity="relu")),
        ("relu_bidir_lengths_h0", dict(nonlinearity="relu", bidirectional=True, lengths=[2, 5, 4], h0=True)),
        ("relu_f64_layers2_batch_first", dict(nonlinearity="relu", dtype=F64, num_layers=2, batch_first=True)),
    ],
    "LSTM": [
        ("proj", dict(hidden_size=5, proj_size=3)),
        ("proj_bidir_layers2_h0", dict(hidden_size=5, proj_size=2, bidirectional=True, num_layers=2, h0=True)),
        ("proj_lengths_batch_first", dict(hidden_size=6, proj_size=4, lengths=[3, 5, 1], batch_first=True)),
        ("proj_f64_lengths_bidir_h0", dict(hidden_size=4, proj_size=1, dtype=F64, lengths=[2, 4, 3],
                                           bidirectional=True, h0=True)),
    ],
    "GRU": [
        ("layers2_bidir_lengths_unsorted", dict(num_layers=2, bidirectional=True, lengths=[1, 5, 3])),
    ],
}


def sequence_case(name, module_name, settings):
    s = dict(BASE, **settings)
    kwargs = {k: s[k] for k in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional")}
    if s["dropout"]:
        kwargs["dropout"] = s["dropout"]
    for key in ("nonlinearity", "proj_size"):
        if key in s:
            kwargs[key] = s[key]
    lstm = module_name == "LSTM"

    def make():
        module = getattr(torch.nn, module_name)(**kwargs)
        module.eval()  # dropout (when any) is the identity; nothing else changes
        batch, steps, bf = s["batch"], s["steps"], s["batch_first"]
        if s["unbatched"]:
            x = torch.randn(steps, s["input_size"])
        else:
            x = torch.randn(batch, steps, s["input_size"]) if bf else torch.randn(steps, batch, s["input_size"])
        inputs = {"input": x}
        if s["h0"]:
            layers = s["num_layers"] * (2 if s["bidirectional"] else 1)
            out = s.get("proj_size", 0) or s["hidden_size"]
            lead = [layers] if s["unbatched"] else [layers, batch]
            inputs["h0"] = torch.randn(lead + [out])
            if lstm:
                inputs["c0"] = torch.randn(lead + [s["hidden_size"]])
        if s["lengths"] is not None:
            inputs["lengths"] = torch.tensor(s["lengths"], dtype=torch.int64)

        def forward(m, leaves):
            hx = None
            if "h0" in leaves:
                hx = (leaves["h0"], leaves["c0"]) if lstm else leaves["h0"]
            if "lengths" in leaves:
                packed = pack_padded_sequence(leaves["input"], leaves["lengths"], batch_first=bf, enforce_sorted=False)
                out, state = m(packed, hx)
                out, _ = pad_packed_sequence(out, batch_first=bf)
            else:
                out, state = m(leaves["input"], hx)
            if lstm:
                return {"output": out, "h_n": state[0], "c_n": state[1]}
            return {"output": out, "h_n": state}

        return fixture(name, f"torch.nn.{module_name}", kwargs, module, inputs, s["dtype"], s["grad"],
                       differentiable=("input", "h0", "c0"), forward=forward)
    return make


def sequence_cases():
    for module_name in ("RNN", "LSTM", "GRU"):
        for suffix, settings in COMMON + EXTRA[module_name]:
            name = f"{module_name.lower()}_{suffix}"
            yield name, sequence_case(name, module_name, settings)


# Cell variants: (suffix, settings) over CELL_BASE; `hx` adds initial states, `unbatched` gives torch's [I] input.
CELL_BASE = dict(input_size=4, hidden_size=5, batch=3, bias=True, hx=False, dtype=F32, grad=True, unbatched=False,
                 scaled=False, input_scale=1.0)
CELL_COMMON = [
    ("basic", {}),
    ("nobias", dict(bias=False)),
    ("hx", dict(hx=True)),
    ("nobias_hx", dict(bias=False, hx=True)),
    ("batch1", dict(batch=1)),
    ("batch1_hx", dict(batch=1, hx=True)),
    ("odd", dict(batch=7, input_size=5, hidden_size=3)),
    ("odd_hx", dict(batch=5, input_size=7, hidden_size=9, hx=True)),
    ("unbatched", dict(unbatched=True)),
    ("unbatched_hx", dict(unbatched=True, hx=True)),
    ("input1_hx", dict(input_size=1, hx=True)),
    ("hidden1_hx", dict(hidden_size=1, hx=True)),
    ("large_batch_hx", dict(batch=16, hx=True)),
    ("scaled_hx", dict(scaled=True, hx=True)),
    ("scaled_inputs", dict(input_scale=4.0, hx=True)),
    ("wide_forward", dict(input_size=32, hidden_size=24, batch=6, grad=False)),
    ("wide_hx_forward", dict(input_size=24, hidden_size=40, batch=4, hx=True, grad=False)),
    ("f64", dict(dtype=F64)),
    ("f64_hx", dict(dtype=F64, hx=True)),
    ("f64_nobias_hx", dict(dtype=F64, bias=False, hx=True)),
    ("f64_unbatched_hx", dict(dtype=F64, unbatched=True, hx=True)),
]
CELL_EXTRA = {
    "RNNCell": [
        ("relu", dict(nonlinearity="relu")),
        ("relu_hx", dict(nonlinearity="relu", hx=True)),
        ("relu_unbatched_hx", dict(nonlinearity="relu", unbatched=True, hx=True)),
        ("relu_f64_hx", dict(nonlinearity="relu", dtype=F64, hx=True)),
        ("relu_nobias_batch1", dict(nonlinearity="relu", bias=False, batch=1)),
    ],
    "LSTMCell": [],
    "GRUCell": [],
}
CELL_PREFIX = {"RNNCell": "cell_rnn", "LSTMCell": "cell_lstm", "GRUCell": "cell_gru"}


def cell_case(name, module_name, settings):
    s = dict(CELL_BASE, **settings)
    kwargs = {k: s[k] for k in ("input_size", "hidden_size", "bias")}
    if "nonlinearity" in s:
        kwargs["nonlinearity"] = s["nonlinearity"]
    lstm = module_name == "LSTMCell"

    def make():
        module = getattr(torch.nn, module_name)(**kwargs)
        if s["scaled"]:
            randomize_(module)
        lead = [] if s["unbatched"] else [s["batch"]]
        inputs = {"input": torch.randn(lead + [s["input_size"]]) * s["input_scale"]}
        if s["hx"]:
            inputs["hx"] = torch.randn(lead + [s["hidden_size"]])
            if lstm:
                inputs["cx"] = torch.randn(lead + [s["hidden_size"]])

        def forward(m, leaves):
            if lstm:
                h, c = m(leaves["input"], (leaves["hx"], leaves["cx"]) if "hx" in leaves else None)
                return {"h": h, "c": c}
            return {"h": m(leaves["input"], leaves.get("hx"))}

        return fixture(name, f"torch.nn.{module_name}", kwargs, module, inputs, s["dtype"], s["grad"],
                       differentiable=("input", "hx", "cx"), forward=forward)
    return make


def cell_cases():
    for module_name in ("RNNCell", "LSTMCell", "GRUCell"):
        for suffix, settings in CELL_COMMON + CELL_EXTRA[module_name]:
            name = f"{CELL_PREFIX[module_name]}_{suffix}"
            yield name, cell_case(name, module_name, settings)


def cases():
    yield from sequence_cases()
    yield from cell_cases()
