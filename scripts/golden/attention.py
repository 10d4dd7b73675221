"""Fixtures for attend's scorers and GlobalAttention (attend.DotScore, attend.GeneralScore, attend.AdditiveScore,
attend.MlpScore, attend.GlobalAttention), defined by formula in fixtures.md with OpenNMT-py's parameter names.

PyTorch has no such modules, so the references are written here, formula for formula:
  dot       q·k (/ √dim when scaled)                 general   (W q)·k            linear_in.weight [Dk, Dq]
  additive  vᵀ tanh(W_q q + b_q + W_k k)             mlp       w₂ᵀ act(W₁ [q; k] + b₁) + b₂ (the pair concatenated)
  GlobalAttention: score, masked softmax, c = Σ a m, h* = tanh(W_out [c; q]) (dot, general) or W_out [c; q] + b_out
  (mlp), as OpenNMT-py's GlobalAttention (batch-first outputs; a 2-D query is one step and its outputs drop that dim).
Masks come from src_lengths (key j of item b is masked when j >= src_lengths[b]); lengths are never 0, since torch
gives NaN for a row with no key. Scorer fixtures compare `score` at unmasked positions only; a few store the masked
scores as -inf (as masked_fill would) to check that attend accepts that convention too.
"""
import math

import torch
from torch import nn

from golden.common import F32, F64, fixture


class DotScore(nn.Module):
    def __init__(self, dim, scaled=False):
        super().__init__()
        self.dim, self.scaled = dim, scaled

    def forward(self, q, k):
        s = torch.bmm(q, k.transpose(1, 2))
        return s / math.sqrt(self.dim) if self.scaled else s


class GeneralScore(nn.Module):
    def __init__(self, dim_query, dim_key):
        super().__init__()
        self.linear_in = nn.Linear(dim_query, dim_key, bias=False)

    def forward(self, q, k):
        return torch.bmm(self.linear_in(q), k.transpose(1, 2))


class AdditiveScore(nn.Module):
    def __init__(self, dim_query, dim_key, hidden):
        super().__init__()
        self.linear_context = nn.Linear(dim_key, hidden, bias=False)
        self.linear_query = nn.Linear(dim_query, hidden, bias=True)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, q, k):
        wq = self.linear_query(q).unsqueeze(2)    # [B, Tq, 1, h]
        uh = self.linear_context(k).unsqueeze(1)  # [B, 1, Tk, h]
        return self.v(torch.tanh(wq + uh)).squeeze(-1)


class MlpScore(nn.Module):
    def __init__(self, dim_query, dim_key, hidden, activation):
        super().__init__()
        self.fc1 = nn.Linear(dim_query + dim_key, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.act = torch.tanh if activation == "tanh" else torch.relu

    def forward(self, q, k):
        b, tq, tk = q.shape[0], q.shape[1], k.shape[1]
        pairs = torch.cat([q.unsqueeze(2).expand(b, tq, tk, q.shape[2]),
                           k.unsqueeze(1).expand(b, tq, tk, k.shape[2])], dim=-1)  # [B, Tq, Tk, Dq + Dk]
        return self.fc2(self.act(self.fc1(pairs))).squeeze(-1)


def sequence_mask(lengths, tk):
    """[B] -> bool [B, 1, Tk], True where the key is kept."""
    return (torch.arange(tk).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(1)


class GlobalAttention(nn.Module):
    """OpenNMT-py's GlobalAttention (no coverage, softmax), batch-first."""

    def __init__(self, dim, attn_type):
        super().__init__()
        self.attn_type = attn_type
        if attn_type == "general":
            self.linear_in = nn.Linear(dim, dim, bias=False)
        elif attn_type == "mlp":
            self.linear_context = nn.Linear(dim, dim, bias=False)
            self.linear_query = nn.Linear(dim, dim, bias=True)
            self.v = nn.Linear(dim, 1, bias=False)
        self.linear_out = nn.Linear(dim * 2, dim, bias=attn_type == "mlp")

    def score(self, h_t, h_s):
        if self.attn_type == "general":
            h_t = self.linear_in(h_t)
        if self.attn_type in ("dot", "general"):
            return torch.bmm(h_t, h_s.transpose(1, 2))
        wq = self.linear_query(h_t).unsqueeze(2)
        uh = self.linear_context(h_s).unsqueeze(1)
        return self.v(torch.tanh(wq + uh)).squeeze(-1)

    def forward(self, source, memory_bank, memory_lengths=None):
        one_step = source.dim() == 2
        if one_step:
            source = source.unsqueeze(1)
        align = self.score(source, memory_bank)
        if memory_lengths is not None:
            align = align.masked_fill(~sequence_mask(memory_lengths, align.shape[-1]), -float("inf"))
        align_vectors = torch.softmax(align, -1)
        c = torch.bmm(align_vectors, memory_bank)
        attn_h = self.linear_out(torch.cat([c, source], 2))
        if self.attn_type in ("dot", "general"):
            attn_h = torch.tanh(attn_h)
        if one_step:
            return attn_h.squeeze(1), align_vectors.squeeze(1)
        return attn_h, align_vectors


def lengths_for(b, tk):
    """Random lengths in [1, Tk] with at least one item shorter than Tk (when Tk > 1)."""
    lengths = torch.randint(1, tk + 1, (b,), dtype=torch.int64)
    if tk > 1:
        lengths[0] = torch.randint(1, tk, ()).item()
    return lengths


def scorer_fixture(name, module_name, kwargs, module, shapes, masked, softmax, value, dtype, grad, fill_masked):
    """shapes: (B, Tq, Tk, Dq, Dk, Dv). Outputs score and, with softmax, align and context."""
    b, tq, tk, dq, dk, dv = shapes
    inputs = {"query": torch.randn(b, tq, dq), "memory": torch.randn(b, tk, dk)}
    if value:
        inputs["value"] = torch.randn(b, tk, dv)
    if masked:
        inputs["src_lengths"] = lengths_for(b, tk)

    def forward(m, x):
        s = m(x["query"], x["memory"])
        keep = sequence_mask(x["src_lengths"], tk) if masked else torch.ones(1, 1, tk, dtype=torch.bool)
        out = {"score": s.masked_fill(~keep, -float("inf")) if fill_masked else s}
        if softmax:
            a = torch.softmax(s.masked_fill(~keep, -float("inf")), -1)
            out["align"] = a
            out["context"] = torch.bmm(a, x["value"] if value else x["memory"])
        return out

    return fixture(name, module_name, kwargs, module, inputs, dtype, grad, differentiable=("query", "memory", "value"),
                   forward=forward, call={"softmax": softmax})


# Shared variations: (suffix, B, Tq, Tk, masked, softmax, value, dtype, grad, fill_masked); widths come per module.
VARIANTS = [
    ("b1", 1, 1, 4, False, False, False, F32, True, False),
    ("b3_mask", 3, 2, 5, True, False, False, F32, True, False),
    ("b3_mask_softmax", 3, 3, 6, True, True, False, F32, True, False),
    ("b3_mask_softmax_value", 3, 4, 5, True, True, True, F32, True, False),
    ("b1_softmax", 1, 3, 7, False, True, False, F32, True, False),
    ("b3_tq1_mask_softmax", 3, 1, 6, True, True, True, F32, True, False),
    ("b3_long_mask_softmax", 3, 5, 9, True, True, False, F32, True, False),
    ("b3_tk1_softmax", 3, 2, 1, False, True, True, F32, True, False),
    ("b3_mask_fill_inf", 3, 2, 6, True, True, False, F32, True, True),
    ("b1_mask_forward", 1, 3, 5, True, True, True, F32, False, False),
    ("b3_mask_softmax_f64", 3, 3, 5, True, True, True, F64, True, False),
    ("b1_f64", 1, 2, 4, False, False, False, F64, True, False),
    ("b3_mask_fill_inf_f64", 3, 4, 6, True, False, False, F64, True, True),
]


def scorer_cases(prefix, module_name, widths, build):
    """widths: list of (tag, kwargs, Dq, Dk); build(kwargs) -> module. Every width × every variant."""
    for tag, kwargs, dq, dk in widths:
        for v, (suffix, b, tq, tk, masked, softmax, value, dtype, grad, fill) in enumerate(VARIANTS):
            name = f"{prefix}_{tag}_{suffix}"
            dv = 3 + (v % 3)
            yield name, lambda name=name, kwargs=kwargs, shapes=(b, tq, tk, dq, dk, dv), masked=masked, \
                softmax=softmax, value=value, dtype=dtype, grad=grad, fill=fill: scorer_fixture(
                    name, module_name, kwargs, build(kwargs), shapes, masked, softmax, value, dtype, grad, fill)


def dot_cases():
    widths = [("d5", {"dim": 5, "scaled": False}, 5, 5), ("scaled_d7", {"dim": 7, "scaled": True}, 7, 7),
              ("scaled_d13", {"dim": 13, "scaled": True}, 13, 13)]
    yield from scorer_cases("attend_dot", "attend.DotScore", widths, lambda kw: DotScore(kw["dim"], kw["scaled"]))


def general_cases():
    widths = [("d5", {"dim": 5}, 5, 5), ("q7_k13", {"dim_query": 7, "dim_key": 13}, 7, 13)]
    yield from scorer_cases("attend_general", "attend.GeneralScore", widths,
                            lambda kw: GeneralScore(kw.get("dim_query", kw.get("dim")),
                                                    kw.get("dim_key", kw.get("dim"))))


def additive_cases():
    widths = [("d7", {"dim": 7}, 7, 7), ("q5_k13_h11", {"dim_query": 5, "dim_key": 13, "hidden": 11}, 5, 13)]
    yield from scorer_cases("attend_additive", "attend.AdditiveScore", widths,
                            lambda kw: AdditiveScore(kw.get("dim_query", kw.get("dim")),
                                                     kw.get("dim_key", kw.get("dim")),
                                                     kw.get("hidden", kw.get("dim_key", kw.get("dim")))))


def mlp_cases():
    widths = [("tanh_q5_k7_h9", {"dim_query": 5, "dim_key": 7, "hidden": 9, "activation": "tanh"}, 5, 7),
              ("relu_q13_k5_h6", {"dim_query": 13, "dim_key": 5, "hidden": 6, "activation": "relu"}, 13, 5)]
    yield from scorer_cases("attend_mlp", "attend.MlpScore", widths,
                            lambda kw: MlpScore(kw["dim_query"], kw["dim_key"], kw["hidden"], kw["activation"]))


def global_attention_cases():
    # (suffix, B, Tq (None: a one-step 2-D query), Tk, D, masked, dtype, grad)
    table = [
        ("b1", 1, 3, 4, 5, False, F32, True),
        ("b3_mask", 3, 2, 6, 5, True, F32, True),
        ("b3_step_mask", 3, None, 5, 7, True, F32, True),
        ("b1_step", 1, None, 4, 13, False, F32, True),
        ("b3_long_mask", 3, 5, 9, 7, True, F32, True),
        ("b3_tk1", 3, 2, 1, 5, False, F32, True),
        ("b3_mask_forward", 3, 4, 7, 13, True, F32, False),
        ("b3_mask_f64", 3, 3, 5, 7, True, F64, True),
    ]
    for attn_type in ("dot", "general", "mlp"):
        for suffix, b, tq, tk, d, masked, dtype, grad in table:
            name = f"attend_global_{attn_type}_{suffix}"

            def make(name=name, attn_type=attn_type, b=b, tq=tq, tk=tk, d=d, masked=masked, dtype=dtype, grad=grad):
                query = torch.randn(b, d) if tq is None else torch.randn(b, tq, d)
                inputs = {"query": query, "memory": torch.randn(b, tk, d)}
                if masked:
                    inputs["src_lengths"] = lengths_for(b, tk)

                def forward(m, x):
                    h, a = m(x["query"], x["memory"], x.get("src_lengths"))
                    return {"attn_h": h, "align": a}

                return fixture(name, "attend.GlobalAttention", {"dim": d, "attn_type": attn_type},
                               GlobalAttention(d, attn_type), inputs, dtype, grad,
                               differentiable=("query", "memory"), forward=forward)
            yield name, make


def cases():
    yield from dot_cases()
    yield from general_cases()
    yield from additive_cases()
    yield from mlp_cases()
    yield from global_attention_cases()
