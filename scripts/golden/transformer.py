"""Fixtures for torch.nn.TransformerEncoderLayer and torch.nn.TransformerDecoderLayer (PyTorch 1.13 semantics), and
for the whole attend.Transformer seq2seq model (written below with torch.nn.Transformer, so its state_dict keys are
attend's: encoder.*, decoder.*, src_embed.weight, tgt_embed.weight, generator.*, src_pos/tgt_pos.weight).

PyTorch must not take its fused fast path (torch._transformer_encoder_layer_fwd / the native MHA): it does only in
eval mode with gradients off. Here gradients are always enabled and every parameter requires one, and the modules
stay in training mode with dropout 0 unless a case asks for eval mode (dropout > 0, where eval makes it the identity).
Masks are chosen so that no query row is fully masked, except in the forward-only `*_fullmask*` cases, where PyTorch
gives NaN rows that `attend parity` excludes from comparison.
"""
import math

import torch

from golden.common import F32, F64, fixture

ENC, DEC = "torch.nn.TransformerEncoderLayer", "torch.nn.TransformerDecoderLayer"


def randomize_(module, scale=0.5):
    """N(0, scale²) parameters (torch's default zero biases would not test loading them)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, dtype=p.dtype) * scale)
    return module


def attn_mask(kind, tq, tk, batch, heads):
    """A PyTorch attn_mask of `kind` (None, causal, bool, float, bool3d); key 0 is never masked."""
    if kind is None:
        return None
    if kind == "causal":
        return torch.nn.Transformer.generate_square_subsequent_mask(tq)
    if kind == "bool":
        m = torch.rand(tq, tk) < 0.35
    elif kind == "bool3d":
        m = torch.rand(batch * heads, tq, tk) < 0.35
    elif kind == "float":
        m = torch.randn(tq, tk)
        m[torch.rand(tq, tk) < 0.25] = float("-inf")
    else:
        raise ValueError(kind)
    m[..., 0] = False if m.dtype == torch.bool else 0.0
    return m


def key_padding_mask(kind, batch, tk):
    """A PyTorch key_padding_mask (True = padding) of `kind` (None, bool, float, full); item 0 has every key."""
    if kind is None:
        return None
    lengths = torch.randint(1, tk + 1, (batch,))
    lengths[0] = tk
    m = torch.arange(tk)[None, :] >= lengths[:, None]  # [B, Tk]
    if kind == "float":
        return torch.zeros(batch, tk).masked_fill(m, float("-inf"))
    if kind == "full":
        m[-1, :] = True  # the last item has no key at all: PyTorch gives NaN there
    return m


def sequence(batch, t, d, batch_first):
    return torch.randn(batch, t, d) if batch_first else torch.randn(t, batch, d)


def layer_kwargs(d, h, ffn, act, norm_first, batch_first, eps, dropout):
    return {"d_model": d, "nhead": h, "dim_feedforward": ffn, "dropout": dropout, "activation": act,
            "layer_norm_eps": eps, "batch_first": batch_first, "norm_first": norm_first}


def call_by_name(module, leaves):
    return {"output": module(**leaves)}


# (name, d, h, ffn, act, norm_first, batch_first, B, T, src_mask, key_padding, dtype, grad, eps, dropout)
ENCODER = [
    ("post_relu_bf", 8, 2, 16, "relu", False, True, 2, 5, None, None, F32, True, 1e-5, 0.0),
    ("post_relu_tf", 8, 2, 16, "relu", False, False, 2, 5, None, None, F32, True, 1e-5, 0.0),
    ("pre_relu_bf", 8, 2, 16, "relu", True, True, 2, 5, None, None, F32, True, 1e-5, 0.0),
    ("pre_gelu_tf", 8, 2, 16, "gelu", True, False, 2, 5, None, None, F32, True, 1e-5, 0.0),
    ("post_gelu_bf", 8, 4, 16, "gelu", False, True, 3, 4, None, None, F32, True, 1e-5, 0.0),
    ("causal_post_bf", 8, 2, 16, "relu", False, True, 2, 6, "causal", None, F32, True, 1e-5, 0.0),
    ("causal_pre_gelu_tf", 8, 2, 16, "gelu", True, False, 2, 6, "causal", None, F32, True, 1e-5, 0.0),
    ("boolmask_post_bf", 8, 2, 16, "relu", False, True, 2, 5, "bool", None, F32, True, 1e-5, 0.0),
    ("floatmask_pre_bf", 8, 2, 16, "relu", True, True, 2, 5, "float", None, F32, True, 1e-5, 0.0),
    ("mask3d_post_tf", 8, 2, 16, "gelu", False, False, 2, 4, "bool3d", None, F32, True, 1e-5, 0.0),
    ("kpm_post_bf", 8, 2, 16, "relu", False, True, 3, 5, None, "bool", F32, True, 1e-5, 0.0),
    ("kpm_pre_tf", 8, 2, 16, "relu", True, False, 3, 5, None, "bool", F32, True, 1e-5, 0.0),
    ("kpm_causal_post_bf", 8, 2, 16, "gelu", False, True, 3, 5, "causal", "bool", F32, True, 1e-5, 0.0),
    ("kpm_float_pre_bf", 8, 2, 16, "relu", True, True, 3, 5, None, "float", F32, True, 1e-5, 0.0),
    ("d12_h3_ffn20_post_bf", 12, 3, 20, "relu", False, True, 2, 5, None, "bool", F32, True, 1e-5, 0.0),
    ("d12_h3_ffn20_pre_gelu_tf", 12, 3, 20, "gelu", True, False, 2, 5, "causal", None, F32, True, 1e-5, 0.0),
    ("d10_h2_post_bf", 10, 2, 20, "relu", False, True, 2, 4, "bool", "bool", F32, True, 1e-5, 0.0),
    ("d10_h2_pre_tf", 10, 2, 7, "gelu", True, False, 3, 3, "float", None, F32, True, 1e-5, 0.0),
    ("nhead1_post_bf", 6, 1, 12, "relu", False, True, 2, 4, "causal", None, F32, True, 1e-5, 0.0),
    ("eps1e-3_pre_bf", 8, 2, 16, "relu", True, True, 2, 4, None, None, F32, True, 1e-3, 0.0),
    ("dropout_eval_post_bf", 8, 2, 16, "relu", False, True, 2, 5, "causal", "bool", F32, True, 1e-5, 0.1),
    ("single_token_post_tf", 8, 2, 16, "relu", False, False, 1, 1, None, None, F32, True, 1e-5, 0.0),
    ("f64_post_relu_bf", 8, 2, 16, "relu", False, True, 2, 5, "causal", "bool", F64, True, 1e-5, 0.0),
    ("f64_pre_gelu_tf", 12, 3, 20, "gelu", True, False, 2, 4, "bool", "bool", F64, True, 1e-5, 0.0),
    ("fullmask_post_bf_forward", 8, 2, 16, "relu", False, True, 3, 4, None, "full", F32, False, 1e-5, 0.0),
    ("fullmask_pre_tf_forward", 8, 2, 16, "gelu", True, False, 3, 4, "causal", "full", F32, False, 1e-5, 0.0),
    ("wide_post_bf_forward", 16, 4, 32, "relu", False, True, 3, 7, "causal", "bool", F32, False, 1e-5, 0.0),
]

# (name, d, h, ffn, act, norm_first, batch_first, B, Tq, Tk, tgt_mask, memory_mask, tgt_kpm, memory_kpm, dtype,
#  grad, eps, dropout)
DECODER = [
    ("post_relu_bf", 8, 2, 16, "relu", False, True, 2, 4, 6, None, None, None, None, F32, True, 1e-5, 0.0),
    ("post_relu_tf", 8, 2, 16, "relu", False, False, 2, 4, 6, None, None, None, None, F32, True, 1e-5, 0.0),
    ("pre_relu_bf", 8, 2, 16, "relu", True, True, 2, 5, 3, None, None, None, None, F32, True, 1e-5, 0.0),
    ("pre_gelu_tf", 8, 2, 16, "gelu", True, False, 2, 5, 3, None, None, None, None, F32, True, 1e-5, 0.0),
    ("post_gelu_bf", 8, 4, 16, "gelu", False, True, 3, 3, 5, None, None, None, None, F32, True, 1e-5, 0.0),
    ("causal_post_bf", 8, 2, 16, "relu", False, True, 2, 5, 4, "causal", None, None, None, F32, True, 1e-5, 0.0),
    ("causal_pre_tf", 8, 2, 16, "gelu", True, False, 2, 5, 4, "causal", None, None, None, F32, True, 1e-5, 0.0),
    ("causal_memkpm_post_bf", 8, 2, 16, "relu", False, True, 3, 4, 6, "causal", None, None, "bool", F32, True,
     1e-5, 0.0),
    ("causal_memkpm_pre_tf", 8, 2, 16, "relu", True, False, 3, 4, 6, "causal", None, None, "bool", F32, True,
     1e-5, 0.0),
    ("boolmasks_post_bf", 8, 2, 16, "relu", False, True, 2, 4, 5, "bool", "bool", None, None, F32, True, 1e-5, 0.0),
    ("floatmasks_pre_bf", 8, 2, 16, "gelu", True, True, 2, 4, 5, "float", "float", None, None, F32, True, 1e-5,
     0.0),
    ("mask3d_post_tf", 8, 2, 16, "relu", False, False, 2, 3, 4, "bool3d", "bool3d", None, None, F32, True, 1e-5,
     0.0),
    ("tgtkpm_causal_post_bf", 8, 2, 16, "relu", False, True, 3, 5, 4, "causal", None, "bool", None, F32, True,
     1e-5, 0.0),
    ("allkpm_pre_bf", 8, 2, 16, "gelu", True, True, 3, 5, 4, "causal", None, "bool", "bool", F32, True, 1e-5, 0.0),
    ("float_memkpm_post_tf", 8, 2, 16, "relu", False, False, 2, 3, 5, None, None, None, "float", F32, True, 1e-5,
     0.0),
    ("d12_h3_ffn20_post_bf", 12, 3, 20, "relu", False, True, 2, 4, 6, "causal", None, None, "bool", F32, True,
     1e-5, 0.0),
    ("d12_h3_ffn20_pre_gelu_tf", 12, 3, 20, "gelu", True, False, 2, 6, 3, "causal", "bool", None, None, F32, True,
     1e-5, 0.0),
    ("d10_h2_post_bf", 10, 2, 20, "relu", False, True, 2, 3, 7, None, "float", "bool", None, F32, True, 1e-5, 0.0),
    ("d10_h2_pre_tf", 10, 2, 9, "gelu", True, False, 3, 4, 2, "causal", None, None, "bool", F32, True, 1e-5, 0.0),
    ("nhead1_post_bf", 6, 1, 12, "relu", False, True, 2, 4, 3, "causal", None, None, None, F32, True, 1e-5, 0.0),
    ("eps1e-3_pre_bf", 8, 2, 16, "relu", True, True, 2, 3, 4, None, None, None, None, F32, True, 1e-3, 0.0),
    ("dropout_eval_post_bf", 8, 2, 16, "relu", False, True, 2, 4, 5, "causal", None, None, "bool", F32, True, 1e-5,
     0.1),
    ("single_step_post_tf", 8, 2, 16, "relu", False, False, 2, 1, 5, None, None, None, "bool", F32, True, 1e-5,
     0.0),
    ("f64_post_relu_bf", 8, 2, 16, "relu", False, True, 2, 4, 6, "causal", None, None, "bool", F64, True, 1e-5,
     0.0),
    ("f64_pre_gelu_tf", 12, 3, 20, "gelu", True, False, 2, 5, 3, "causal", "bool", "bool", None, F64, True, 1e-5,
     0.0),
    ("fullmask_post_bf_forward", 8, 2, 16, "relu", False, True, 3, 4, 5, "causal", None, None, "full", F32, False,
     1e-5, 0.0),
    ("fullmask_pre_tf_forward", 8, 2, 16, "gelu", True, False, 3, 4, 5, None, None, "full", None, F32, False, 1e-5,
     0.0),
    ("wide_post_bf_forward", 16, 4, 32, "relu", False, True, 3, 7, 9, "causal", "bool", "bool", "bool", F32, False,
     1e-5, 0.0),
]


def encoder_cases():
    for (name, d, h, ffn, act, norm_first, bf, batch, t, src_mask, kpm, dtype, grad, eps, dropout) in ENCODER:
        name = f"transformer_enc_{name}"

        def make(name=name, d=d, h=h, ffn=ffn, act=act, norm_first=norm_first, bf=bf, batch=batch, t=t,
                 src_mask=src_mask, kpm=kpm, dtype=dtype, grad=grad, eps=eps, dropout=dropout):
            kwargs = layer_kwargs(d, h, ffn, act, norm_first, bf, eps, dropout)
            module = randomize_(torch.nn.TransformerEncoderLayer(**kwargs))
            if dropout > 0:
                module.eval()  # dropout is the identity; gradients stay on, so no fast path
            inputs = {"src": sequence(batch, t, d, bf)}
            mask = attn_mask(src_mask, t, t, batch, h)
            if mask is not None:
                inputs["src_mask"] = mask
            padding = key_padding_mask(kpm, batch, t)
            if padding is not None:
                inputs["src_key_padding_mask"] = padding
            return fixture(name, ENC, kwargs, module, inputs, dtype, grad, differentiable=("src",),
                           forward=call_by_name)
        yield name, make


def decoder_cases():
    for (name, d, h, ffn, act, norm_first, bf, batch, tq, tk, tgt_mask, memory_mask, tgt_kpm, memory_kpm, dtype,
         grad, eps, dropout) in DECODER:
        name = f"transformer_dec_{name}"

        def make(name=name, d=d, h=h, ffn=ffn, act=act, norm_first=norm_first, bf=bf, batch=batch, tq=tq, tk=tk,
                 tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_kpm=tgt_kpm, memory_kpm=memory_kpm, dtype=dtype,
                 grad=grad, eps=eps, dropout=dropout):
            kwargs = layer_kwargs(d, h, ffn, act, norm_first, bf, eps, dropout)
            module = randomize_(torch.nn.TransformerDecoderLayer(**kwargs))
            if dropout > 0:
                module.eval()
            inputs = {"tgt": sequence(batch, tq, d, bf), "memory": sequence(batch, tk, d, bf)}
            optional = {"tgt_mask": attn_mask(tgt_mask, tq, tq, batch, h),
                        "memory_mask": attn_mask(memory_mask, tq, tk, batch, h),
                        "tgt_key_padding_mask": key_padding_mask(tgt_kpm, batch, tq),
                        "memory_key_padding_mask": key_padding_mask(memory_kpm, batch, tk)}
            inputs.update({k: v for k, v in optional.items() if v is not None})
            return fixture(name, DEC, kwargs, module, inputs, dtype, grad, differentiable=("tgt", "memory"),
                           forward=call_by_name)
        yield name, make


class ReferenceSeq2Seq(torch.nn.Transformer):
    """attend::nn::Transformer in PyTorch: √d-scaled embeddings plus positions, torch.nn.Transformer (batch first,
    final norms), a generator or the tied target embedding; memory keys masked beyond src_lengths, causal target."""

    def __init__(self, src_vocab, tgt_vocab, d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                 dropout, activation, layer_norm_eps, norm_first, positional, max_len, tie_embeddings, pad_id):
        super().__init__(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout, activation,
                         layer_norm_eps=layer_norm_eps, batch_first=True, norm_first=norm_first)
        pad = None if pad_id < 0 else pad_id
        self.src_embed = torch.nn.Embedding(src_vocab, d_model, padding_idx=pad)
        self.tgt_embed = torch.nn.Embedding(tgt_vocab, d_model, padding_idx=pad)
        learned = positional == "learned"
        self.src_pos = torch.nn.Embedding(max_len, d_model) if learned else None
        self.tgt_pos = torch.nn.Embedding(max_len, d_model) if learned else None
        self.generator = None if tie_embeddings else torch.nn.Linear(d_model, tgt_vocab)

    def embed(self, table, positions, ids):
        x = table(ids) * math.sqrt(self.d_model)
        t = ids.shape[1]
        if positions is not None:
            return x + positions.weight[:t]
        pos = torch.arange(t, dtype=torch.float64)[:, None]
        inv_freq = torch.pow(10000.0, -torch.arange(0, self.d_model, 2, dtype=torch.float64) / self.d_model)
        pe = torch.zeros(t, self.d_model, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(pos * inv_freq)
        pe[:, 1::2] = torch.cos(pos * inv_freq[: self.d_model // 2])
        return x + pe.to(x.dtype)

    def forward(self, src, src_lengths, tgt_in):
        padding = torch.arange(src.shape[1])[None, :] >= src_lengths[:, None]  # [B, Ts], True = padding
        memory = self.encoder(self.embed(self.src_embed, self.src_pos, src), src_key_padding_mask=padding)
        causal = self.generate_square_subsequent_mask(tgt_in.shape[1]).to(memory.dtype)
        h = self.decoder(self.embed(self.tgt_embed, self.tgt_pos, tgt_in), memory, tgt_mask=causal,
                         memory_key_padding_mask=padding)
        return self.generator(h) if self.generator is not None else h @ self.tgt_embed.weight.t()


def capture_last_cross_attention(model):
    """Makes the last decoder layer's cross-attention also return its weights averaged over heads; returns the
    dict where they land."""
    store, mha = {}, model.decoder.layers[-1].multihead_attn
    original = mha.forward

    def forward(*args, **kwargs):
        kwargs.update(need_weights=True, average_attn_weights=True)
        out, weights = original(*args, **kwargs)
        store["attention"] = weights
        return out, weights
    mha.forward = forward
    return store


# (name, Vs, Vt, d, h, enc, dec, ffn, act, norm_first, positional, tie, pad_id, src_lengths, Ts, Tt, dtype)
MODEL = [
    ("post_sinusoidal", 11, 13, 8, 2, 2, 2, 16, "relu", False, "sinusoidal", False, 0, [5, 3, 1], 5, 4, F32),
    ("pre_gelu_learned", 11, 13, 8, 2, 1, 2, 16, "gelu", True, "learned", False, 0, [4, 4], 4, 5, F32),
    ("tied_post", 9, 9, 8, 4, 1, 1, 12, "relu", False, "sinusoidal", True, 1, [3, 2, 3], 3, 3, F32),
    ("d12_h3_nopad", 10, 7, 12, 3, 2, 1, 20, "relu", False, "sinusoidal", False, -1, [6, 2], 6, 3, F32),
    ("f64_pre_tied_learned", 8, 8, 6, 2, 1, 1, 10, "gelu", True, "learned", True, 0, [3, 1], 3, 4, F64),
]


def model_cases():
    for (name, vs, vt, d, h, n_enc, n_dec, ffn, act, norm_first, positional, tie, pad, lengths, ts, tt,
         dtype) in MODEL:
        name = f"transformer_model_{name}"
        kwargs = {"src_vocab": vs, "tgt_vocab": vt, "d_model": d, "nhead": h, "num_encoder_layers": n_enc,
                  "num_decoder_layers": n_dec, "dim_feedforward": ffn, "dropout": 0.0, "activation": act,
                  "layer_norm_eps": 1e-5, "norm_first": norm_first, "positional": positional, "max_len": 8,
                  "tie_embeddings": tie, "pad_id": pad}

        def make(name=name, kwargs=kwargs, lengths=lengths, ts=ts, tt=tt, dtype=dtype):
            model = randomize_(ReferenceSeq2Seq(**kwargs))
            store = capture_last_cross_attention(model)
            src_lengths = torch.tensor(lengths, dtype=torch.int64)
            src = torch.randint(0, kwargs["src_vocab"], (len(lengths), ts))
            tgt_in = torch.randint(0, kwargs["tgt_vocab"], (len(lengths), tt))

            def forward(module, leaves):
                logits = module(leaves["src"], leaves["src_lengths"], leaves["tgt_in"])
                return {"logits": logits, "attention": store["attention"]}
            return fixture(name, "attend.Transformer", kwargs, model,
                           {"src": src, "src_lengths": src_lengths, "tgt_in": tgt_in}, dtype, True,
                           differentiable=(), forward=forward)
        yield name, make


def cases():
    yield from encoder_cases()
    yield from decoder_cases()
    yield from model_cases()
