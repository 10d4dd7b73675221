"""Fixtures for torch.nn.Linear, torch.nn.LayerNorm and torch.nn.Embedding."""
import torch

from golden.common import F32, F64, fixture, randomize_


def linear_cases():
    # (name, in, out, bias, input shape, dtype, grad)
    table = [
        ("linear_bias_2d", 5, 3, True, [4, 5], F32, True),
        ("linear_nobias_2d", 5, 3, False, [4, 5], F32, True),
        ("linear_bias_1d", 6, 4, True, [6], F32, True),
        ("linear_bias_3d", 5, 7, True, [2, 3, 5], F32, True),
        ("linear_bias_4d", 4, 3, True, [2, 2, 3, 4], F32, True),
        ("linear_wide_forward", 32, 16, True, [3, 32], F32, False),
        ("linear_in1_3d", 1, 4, True, [2, 3, 1], F32, True),
        ("linear_bias_2d_f64", 5, 3, True, [4, 5], F64, True),
        ("linear_nobias_1d_f64", 6, 2, False, [6], F64, True),
        ("linear_bias_3d_f64", 8, 5, True, [2, 3, 8], F64, True),
    ]
    for name, n_in, n_out, bias, shape, dtype, grad in table:
        kwargs = {"in_features": n_in, "out_features": n_out, "bias": bias}
        yield name, lambda kwargs=kwargs, shape=shape, dtype=dtype, grad=grad, name=name: fixture(
            name, "torch.nn.Linear", kwargs, torch.nn.Linear(**kwargs), {"input": torch.randn(shape)}, dtype, grad)


def layer_norm_cases():
    # (name, normalized_shape as written in kwargs, eps, affine, input shape, offset, dtype, grad)
    table = [
        ("layer_norm_2d", [8], 1e-5, True, [4, 8], 0.0, F32, True),
        ("layer_norm_3d", [8], 1e-5, True, [2, 3, 8], 0.0, F32, True),
        ("layer_norm_1d", [6], 1e-5, True, [6], 0.0, F32, True),
        ("layer_norm_noaffine", [6], 1e-5, False, [3, 6], 0.0, F32, True),
        ("layer_norm_eps1e-3", [5], 1e-3, True, [4, 5], 0.0, F32, True),
        ("layer_norm_eps0.1_int_shape", 6, 0.1, True, [2, 6], 0.0, F32, True),
        ("layer_norm_two_dims", [4, 5], 1e-5, True, [2, 3, 4, 5], 0.0, F32, True),
        ("layer_norm_offset_forward", [16], 1e-5, True, [3, 16], 10.0, F32, False),
        ("layer_norm_3d_f64", [8], 1e-5, True, [2, 3, 8], 0.0, F64, True),
        ("layer_norm_two_dims_noaffine_f64", [3, 4], 1e-6, False, [2, 3, 4], 0.0, F64, True),
    ]
    for name, ns, eps, affine, shape, offset, dtype, grad in table:
        kwargs = {"normalized_shape": ns, "eps": eps, "elementwise_affine": affine}
        yield name, lambda kwargs=kwargs, shape=shape, offset=offset, dtype=dtype, grad=grad, name=name: fixture(
            name, "torch.nn.LayerNorm", kwargs, randomize_(torch.nn.LayerNorm(**kwargs)),
            {"input": torch.randn(shape) * 2.0 + offset}, dtype, grad)


def embedding_cases():
    # (name, num, dim, padding_idx as written in kwargs (None: absent), ids shape, pad row nonzero, dtype, grad)
    table = [
        ("embedding_2d", 10, 4, None, [2, 5], False, F32, True),
        ("embedding_1d", 7, 3, None, [6], False, F32, True),
        ("embedding_scalar_id", 5, 4, None, [], False, F32, True),
        ("embedding_pad0", 9, 4, 0, [3, 4], False, F32, True),
        ("embedding_pad_last", 6, 3, 5, [2, 6], False, F32, True),
        ("embedding_pad_negative", 8, 4, -2, [2, 5], False, F32, True),
        ("embedding_pad_row_loaded", 6, 5, 2, [4, 3], True, F32, True),
        ("embedding_repeated_ids", 4, 3, None, [3, 6], False, F32, True),
        ("embedding_3d_f64", 12, 5, None, [2, 2, 3], False, F64, True),
        ("embedding_pad_f64", 7, 3, 1, [2, 4], False, F64, True),
    ]
    for name, num, dim, pad, shape, pad_row, dtype, grad in table:
        kwargs = {"num_embeddings": num, "embedding_dim": dim}
        if pad is not None:
            kwargs["padding_idx"] = pad

        def make(kwargs=kwargs, shape=shape, pad=pad, pad_row=pad_row, dtype=dtype, grad=grad, name=name):
            module = torch.nn.Embedding(**kwargs)
            if pad_row:  # a padding row that was trained or loaded non-zero is still returned as is
                with torch.no_grad():
                    module.weight[module.padding_idx].copy_(torch.randn(kwargs["embedding_dim"]))
            ids = torch.randint(0, kwargs["num_embeddings"], shape, dtype=torch.int64)
            if pad is not None and ids.numel() > 1:  # make sure the padding id occurs
                ids.view(-1)[1] = module.padding_idx
            return fixture(name, "torch.nn.Embedding", kwargs, module, {"input": ids}, dtype, grad)
        yield name, make


def cases():
    yield from linear_cases()
    yield from layer_norm_cases()
    yield from embedding_cases()
