#!/usr/bin/env python3
"""Learning-parity fixtures: attend's Seq2Seq trained in PyTorch for 50 Adam steps (tests/data/learning/).

Run with the Debian python3 that has python3-torch (1.13):
    /usr/bin/python3 scripts/learning_parity.py            # rewrites tests/data/learning/*.safetensors
    /usr/bin/python3 scripts/learning_parity.py --check    # regenerates into a temp dir and compares byte for byte

The model is attend's nn::Seq2Seq written again in plain PyTorch with attend's state_dict names, so the initial
weights load into attend as they are (src/nn/rnn/{seq2seq,encoder,bridge}.cpp):
    encoder:  embedding (padding_idx 0), then torch.nn.GRU/LSTM (batch first) over pack_padded_sequence(lengths)
    bridge:   the last layer's final states, directions side by side [B, D*He], then tanh(linear_h) (and
              tanh(linear_c) for an LSTM encoder and decoder)
    decoder:  tgt_embedding (padding_idx 0), then the AttentionDecoder of golden/decoder.py from (h0, c0)
Training: cross entropy over the logits (ignore_index 0, mean over the counted tokens), torch.optim.Adam(lr 1e-2),
one fixed batch per step. The task is reversing the source (ids 4..10), so the loss falls visibly in 50 steps.

Each file holds:
    param.<name>          the initial parameters (PyTorch's default initialisation, f32)
    batch.<k>.src         i64 [B, Ts_k]    batch.<k>.src_lengths i64 [B]
    batch.<k>.tgt_in      i64 [B, Tt_k]    batch.<k>.tgt_out     i64 [B, Tt_k]   (k = 00 .. 49)
    loss                  f64 [50], the loss of each step in f32 (before that step's update)
    loss_f64              f64 [50], the same training run in f64
    final_f64.<name>      the parameters after the 50 steps of the f64 run
metadata: format "attend-learning-1", config (JSON), steps, lr, generator.
"""
import argparse
import filecmp
import json
import os
import sys
import tempfile
import zlib

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden.common import write_safetensors  # noqa: E402
from golden.decoder import AttentionDecoder  # noqa: E402

PAD, BOS, EOS, FIRST_TOKEN = 0, 2, 3, 4
STEPS, BATCH, LR = 50, 4, 1e-2

# name -> Seq2SeqOptions (attend's names); vocabularies 11: pad 0, unk 1, bos 2, eos 3, tokens 4..10.
CONFIGS = {
    "seq2seq_gru_bahdanau_additive": {
        "src_vocab_size": 11, "tgt_vocab_size": 11, "embedding_dim": 6, "hidden_size": 8, "encoder_hidden": 8,
        "encoder_layers": 1, "bidirectional": True, "cell": "gru", "scorer": "additive", "placement": "bahdanau",
        "fusion": "concat", "input_feeding": False, "max_source": 7},
    "seq2seq_lstm_luong_general_feed": {
        "src_vocab_size": 11, "tgt_vocab_size": 11, "embedding_dim": 6, "hidden_size": 8, "encoder_hidden": 5,
        "encoder_layers": 2, "bidirectional": True, "cell": "lstm", "scorer": "general", "placement": "luong",
        "fusion": "concat", "input_feeding": True, "max_source": 6},
}


class Encoder(nn.Module):
    """attend's Encoder: embedding, then the RNN over the real lengths only (packed)."""

    def __init__(self, c):
        super().__init__()
        self.cell = c["cell"]
        self.embedding = nn.Embedding(c["src_vocab_size"], c["embedding_dim"], padding_idx=PAD)
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[c["cell"]]
        self.rnn = rnn(c["embedding_dim"], c["encoder_hidden"], num_layers=c["encoder_layers"], batch_first=True,
                       bidirectional=c["bidirectional"])

    def forward(self, src, lengths):
        packed = pack_padded_sequence(self.embedding(src), lengths, batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # [B, Ts, D*He]
        return (memory, *state) if self.cell == "lstm" else (memory, state, None)


class Bridge(nn.Module):
    """attend's linear Bridge: tanh(linear_h(last layer's h_n, directions side by side)), likewise c for LSTM."""

    def __init__(self, c):
        super().__init__()
        self.D, self.L = 2 if c["bidirectional"] else 1, c["encoder_layers"]
        width = self.D * c["encoder_hidden"]
        self.linear_h = nn.Linear(width, c["hidden_size"])
        if c["cell"] == "lstm":
            self.linear_c = nn.Linear(width, c["hidden_size"])

    def last_layer(self, states):  # [L*D, B, He] -> [B, D*He]
        last = states[(self.L - 1) * self.D:]
        return last.permute(1, 0, 2).reshape(states.shape[1], -1)

    def forward(self, h_n, c_n):
        h0 = torch.tanh(self.linear_h(self.last_layer(h_n)))
        c0 = torch.tanh(self.linear_c(self.last_layer(c_n))) if c_n is not None else None
        return h0, c0


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = Encoder(c)
        self.bridge = Bridge(c)
        self.tgt_embedding = nn.Embedding(c["tgt_vocab_size"], c["embedding_dim"], padding_idx=PAD)
        memory = (2 if c["bidirectional"] else 1) * c["encoder_hidden"]
        self.decoder = AttentionDecoder(c["cell"], c["embedding_dim"], c["hidden_size"], memory, c["tgt_vocab_size"],
                                        c["scorer"], c["placement"], c["fusion"], c["input_feeding"], False)

    def forward(self, src, lengths, tgt_in):
        memory, h_n, c_n = self.encoder(src, lengths)
        h0, c0 = self.bridge(h_n, c_n)
        return self.decoder(self.tgt_embedding(tgt_in), memory, lengths, h0, c0)["output"]  # [B, Tt, V]


def make_batch(g, max_source):
    """B reversal examples: source ids in [4, 11) of lengths 1..max_source (one of full batch length)."""
    lengths = torch.randint(1, max_source + 1, (BATCH,), generator=g)
    Ts = int(lengths.max())
    src = torch.zeros(BATCH, Ts, dtype=torch.long)
    tgt_in = torch.zeros(BATCH, Ts + 1, dtype=torch.long)
    tgt_out = torch.zeros(BATCH, Ts + 1, dtype=torch.long)
    for b in range(BATCH):
        n = int(lengths[b])
        x = torch.randint(FIRST_TOKEN, 11, (n,), generator=g)
        src[b, :n] = x
        tgt_in[b, 0], tgt_in[b, 1:n + 1] = BOS, x.flip(0)
        tgt_out[b, :n], tgt_out[b, n] = x.flip(0), EOS
    return {"src": src, "src_lengths": lengths, "tgt_in": tgt_in, "tgt_out": tgt_out}


def train(model, batches):
    """STEPS Adam steps, one batch each; the loss of each step before its update."""
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    losses = []
    for b in batches:
        logits = model(b["src"], b["src_lengths"], b["tgt_in"])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b["tgt_out"].reshape(-1), ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def make_fixture(name, c):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))
    model = Seq2Seq(c)
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")) + 1)
    batches = [make_batch(g, c["max_source"]) for _ in range(STEPS)]
    losses = train(model, batches)
    model64 = Seq2Seq(c).double()
    model64.load_state_dict({k: v.double() for k, v in initial.items()})
    losses64 = train(model64, batches)
    tensors = {f"param.{k}": v for k, v in initial.items()}
    tensors.update({f"final_f64.{k}": v.detach().clone() for k, v in model64.state_dict().items()})
    for k, b in enumerate(batches):
        tensors.update({f"batch.{k:02d}.{key}": value for key, value in b.items()})
    tensors["loss"] = torch.tensor(losses, dtype=torch.float64)
    tensors["loss_f64"] = torch.tensor(losses64, dtype=torch.float64)
    metadata = {"format": "attend-learning-1", "config": json.dumps(c, sort_keys=True), "steps": str(STEPS),
                "lr": repr(LR), "generator": f"scripts/learning_parity.py (torch {torch.__version__.split('+')[0]})"}
    return tensors, metadata, losses, losses64


def generate(out_dir, quiet=False):
    torch.set_num_threads(1)
    for name, c in CONFIGS.items():
        tensors, metadata, losses, losses64 = make_fixture(name, c)
        write_safetensors(os.path.join(out_dir, f"{name}.safetensors"), tensors, metadata)
        if not quiet:
            gap = max(abs(a - b) / abs(b) for a, b in zip(losses, losses64))
            print(f"{name}: loss {losses[0]:.4f} -> {losses[-1]:.4f}; f32 vs f64 max relative {gap:.2e}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "learning"), help="output folder")
    parser.add_argument("--check", action="store_true", help="verify the files in --out are reproducible")
    args = parser.parse_args()
    if not args.check:
        os.makedirs(args.out, exist_ok=True)
        generate(args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, quiet=True)
        bad = [n for n in CONFIGS if not filecmp.cmp(os.path.join(tmp, f"{n}.safetensors"),
                                                      os.path.join(args.out, f"{n}.safetensors"), shallow=False)]
    if bad:
        sys.exit(f"learning_parity: fixtures differ from a fresh run: {', '.join(bad)}")
    print(f"learning_parity: {len(CONFIGS)} fixtures reproduce byte for byte")


if __name__ == "__main__":
    main()
