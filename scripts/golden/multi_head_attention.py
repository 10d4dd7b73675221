"""Fixtures for torch.nn.MultiheadAttention (prefix mha_).

Every case runs PyTorch's reference path (F.multi_head_attention_forward): the module is in training mode with
dropout 0, or in eval mode with inputs that require gradients, and torch._native_multi_head_attention (the fast path)
is replaced by a function that raises while the fixtures are made, so it can never be used silently.
Masks of cases with gradients keep at least one key per query (PyTorch gives NaN otherwise); the *_forward cases
with fully masked rows check that attend's runner excludes exactly PyTorch's NaN positions.
"""
import math

import torch

from golden.common import F32, F64, fixture

BOOL = torch.bool


def _no_fast_path(*args, **kwargs):
    raise RuntimeError("torch.nn.MultiheadAttention took the fast path while making a fixture")


def randomize(module):
    """Parameters ~ N(0, 1/fan_in) (biases N(0, 0.25)), so softmax is neither uniform nor saturated."""
    with torch.no_grad():
        for p in module.parameters():
            std = 1.0 / math.sqrt(p.shape[-1]) if p.dim() == 2 else 0.5
            p.copy_(torch.randn(p.shape, dtype=p.dtype) * std)
    return module


def bool_mask(shape, p=0.3):
    """Random True-masked entries; the first key is never masked, so no query loses every key."""
    m = torch.rand(shape) < p
    m[..., 0] = False
    return m


def float_mask(shape, p=0.25):
    """Small random biases with -inf (masked) entries; the first key always finite."""
    m = torch.randn(shape) * 0.5
    m[torch.rand(shape) < p] = float("-inf")
    m[..., 0] = torch.randn(m[..., 0].shape) * 0.5
    return m


def make_case(*args, **kwargs):
    """make_fixture with PyTorch's fast path disabled (restored afterwards: other families may rely on it)."""
    saved = torch._native_multi_head_attention
    torch._native_multi_head_attention = _no_fast_path
    try:
        return make_fixture(*args, **kwargs)
    finally:
        torch._native_multi_head_attention = saved


def make_fixture(name, kwargs, B, Tq, Tk, self_attn=False, kpm=None, attn=None, call=None, dtype=F32, grad=True,
                 eval_mode=False, unbatched=False):
    """kpm: None, "bool", "float", "float_padding" or a function making the mask; attn: None, "bool2", "float2",
    "bool3", "float3" or a function making the mask (called here, after the fixture's seed is set)."""
    module = randomize(torch.nn.MultiheadAttention(**kwargs))
    module.train(not eval_mode)
    E, H = kwargs["embed_dim"], kwargs["num_heads"]
    kdim, vdim = kwargs.get("kdim") or E, kwargs.get("vdim") or E
    batch_first = kwargs.get("batch_first", False)

    def seq(T, C):
        if unbatched:
            return torch.randn(T, C)
        return torch.randn(B, T, C) if batch_first else torch.randn(T, B, C)

    query = seq(Tq, E)
    if self_attn:
        key, value = query.clone(), query.clone()
    else:
        key, value = seq(Tk, kdim), seq(Tk, vdim)
    inputs = {"query": query, "key": key, "value": value}
    kpm_shape = [Tk] if unbatched else [B, Tk]
    if callable(kpm):
        inputs["key_padding_mask"] = kpm()
    elif kpm == "bool":
        inputs["key_padding_mask"] = bool_mask(kpm_shape, 0.4)
    elif kpm == "float":
        inputs["key_padding_mask"] = float_mask(kpm_shape, 0.3)
    elif kpm == "float_padding":  # 0 kept, -inf masked: what PyTorch's logical_or with a bool attn_mask expects
        inputs["key_padding_mask"] = torch.zeros(kpm_shape).masked_fill(bool_mask(kpm_shape, 0.4), float("-inf"))
    heads = H if unbatched else B * H
    attn_shapes = {"bool2": [Tq, Tk], "float2": [Tq, Tk], "bool3": [heads, Tq, Tk], "float3": [heads, Tq, Tk]}
    if callable(attn):
        inputs["attn_mask"] = attn()
    elif attn is not None:
        shape = attn_shapes[attn]
        inputs["attn_mask"] = bool_mask(shape) if attn.startswith("bool") else float_mask(shape)
    call = call or {}

    def forward(m, leaves):
        out, weights = m(leaves["query"], leaves["key"], leaves["value"],
                         key_padding_mask=leaves.get("key_padding_mask"), attn_mask=leaves.get("attn_mask"),
                         need_weights=call.get("need_weights", True),
                         average_attn_weights=call.get("average_attn_weights", True))
        return {"output": out} if weights is None else {"output": out, "attn_weights": weights}

    return fixture(name, "torch.nn.MultiheadAttention", kwargs, module, inputs, dtype, grad,
                   differentiable=("query", "key", "value"), forward=forward, call=call)


def causal_bool(T):
    return torch.triu(torch.ones(T, T, dtype=BOOL), diagonal=1)


def fully_masked_kpm():
    m = torch.zeros(3, 5, dtype=BOOL)
    m[1, :] = True       # every key of item 1 masked: all of its rows are NaN in PyTorch
    m[2, 3:] = True
    return m


def fully_masked_head_rows():
    m = torch.zeros(2 * 2, 3, 4, dtype=BOOL)
    m[1, 2, :] = True    # item 0, head 1, query 2
    m[2, 0, :] = True    # item 1, head 0, query 0
    return m


def float_all_inf_row():
    m = torch.randn(4, 6) * 0.3
    m[2, :] = float("-inf")  # query 2 sees nothing, through a float mask
    return m


def cases():
    E16 = {"embed_dim": 16, "num_heads": 4}
    BF = {"batch_first": True}
    table = [
        # (name, kwargs, B, Tq, Tk, options)
        ("mha_self_time_first", E16, 2, 5, 5, {"self_attn": True}),
        ("mha_self_batch_first", {**E16, **BF}, 2, 5, 5, {"self_attn": True}),
        ("mha_kpm_bool", {**E16, **BF}, 3, 4, 6, {"kpm": "bool"}),
        ("mha_kpm_float", E16, 2, 4, 6, {"kpm": "float"}),
        ("mha_attn2d_bool_causal", {**E16, **BF}, 2, 5, 5, {"self_attn": True, "attn": lambda: causal_bool(5)}),
        ("mha_attn2d_float", E16, 2, 4, 6, {"attn": "float2"}),
        ("mha_attn3d_bool", {**E16, **BF}, 2, 4, 5, {"attn": "bool3"}),
        ("mha_attn3d_float", E16, 2, 3, 5, {"attn": "float3"}),
        ("mha_kpm_bool_attn2d_float", {**E16, **BF}, 2, 4, 6, {"kpm": "bool", "attn": "float2"}),
        ("mha_kpm_bool_attn3d_bool", E16, 2, 4, 6, {"kpm": "bool", "attn": "bool3"}),
        ("mha_kpm_float_attn2d_bool", {**E16, **BF}, 2, 4, 6, {"kpm": "float_padding", "attn": "bool2"}),
        ("mha_kdim_cross", {**E16, "kdim": 10}, 2, 3, 7, {}),
        ("mha_vdim_cross", {**E16, "vdim": 6, **BF}, 2, 4, 5, {"kpm": "bool"}),
        ("mha_kdim_vdim_nobias", {**E16, "kdim": 7, "vdim": 9, "bias": False}, 2, 3, 4, {}),
        ("mha_nobias_self", {**E16, "bias": False, **BF}, 2, 5, 5, {"self_attn": True, "attn": "bool2"}),
        ("mha_bias_kv", {**E16, "add_bias_kv": True}, 2, 4, 5, {"kpm": "bool"}),
        ("mha_zero_attn", {**E16, "add_zero_attn": True, **BF}, 2, 4, 5, {"attn": "float2"}),
        ("mha_bias_kv_zero_attn", {**E16, "add_bias_kv": True, "add_zero_attn": True}, 2, 4, 5,
         {"kpm": "bool", "attn": "bool3"}),
        ("mha_need_weights_false", {**E16, **BF}, 2, 4, 5, {"kpm": "bool", "call": {"need_weights": False}}),
        ("mha_average_false", {**E16, **BF}, 2, 4, 5,
         {"attn": "float2", "call": {"need_weights": True, "average_attn_weights": False}}),
        ("mha_embed12_heads3", {"embed_dim": 12, "num_heads": 3}, 3, 4, 6, {"kpm": "bool"}),
        ("mha_embed20_heads5", {"embed_dim": 20, "num_heads": 5, **BF}, 2, 3, 7,
         {"attn": "bool3", "call": {"average_attn_weights": False}}),
        ("mha_embed20_heads5_self", {"embed_dim": 20, "num_heads": 5}, 2, 6, 6, {"self_attn": True}),
        ("mha_cross_tq1", {**E16, **BF}, 3, 1, 8, {"kpm": "bool"}),
        ("mha_eval_dropout", {**E16, "dropout": 0.25, **BF}, 2, 4, 4, {"self_attn": True, "eval_mode": True}),
        ("mha_unbatched", {**E16, **BF}, 1, 4, 6, {"unbatched": True, "kpm": "bool"}),
        ("mha_f64_self_masks", {**E16, **BF}, 2, 5, 5, {"self_attn": True, "kpm": "bool", "attn": "float2",
                                                       "dtype": F64}),
        ("mha_f64_kdim_vdim_bias_kv", {**E16, "kdim": 6, "vdim": 10, "add_bias_kv": True}, 2, 3, 5,
         {"kpm": "float", "dtype": F64}),
        ("mha_f64_zero_attn_per_head", {"embed_dim": 12, "num_heads": 3, "add_zero_attn": True, **BF}, 2, 4, 5,
         {"attn": "bool3", "call": {"average_attn_weights": False}, "dtype": F64}),
        # Fully masked rows: PyTorch gives NaN there, attend 0; forward only (PyTorch's gradients are NaN too).
        ("mha_fully_masked_kpm_forward", {**E16, **BF}, 3, 4, 5, {"kpm": fully_masked_kpm, "grad": False}),
        ("mha_fully_masked_head_rows_forward", {"embed_dim": 8, "num_heads": 2}, 2, 3, 4,
         {"attn": fully_masked_head_rows, "call": {"average_attn_weights": False}, "grad": False}),
        ("mha_fully_masked_float_row_forward", {**E16, **BF}, 2, 4, 6,
         {"attn": float_all_inf_row, "kpm": "bool", "grad": False}),
        ("mha_fully_masked_bias_kv_forward", {**E16, "add_bias_kv": True, **BF}, 3, 4, 5,
         {"kpm": fully_masked_kpm, "grad": False}),
    ]
    for name, kwargs, B, Tq, Tk, opts in table:
        yield name, lambda name=name, kwargs=kwargs, B=B, Tq=Tq, Tk=Tk, opts=opts: make_case(
            name, kwargs, B, Tq, Tk, **opts)
