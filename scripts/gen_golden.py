#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures in tests/golden/ (format: docs in fixtures.md, "attend-parity-1").

Run with the Debian python3 that has python3-torch (1.13):
    /usr/bin/python3 scripts/gen_golden.py            # rewrites tests/golden/*.safetensors
    /usr/bin/python3 scripts/gen_golden.py --check    # regenerates into a temp dir and compares byte for byte

Each fixture is one safetensors file holding a module's weights (param.<state_dict key>), its inputs, PyTorch's
outputs and, with grad, random cotangents and the gradients of loss = sum(output * cotangent). Everything is seeded
from the fixture's name, so the files are reproducible. Torch is needed only here, never at build or test time.
The safetensors writer is the few lines below (the `safetensors` package is not a dependency).
"""
import argparse
import filecmp
import json
import os
import struct
import sys
import tempfile
import zlib

import torch

FORMAT = "attend-parity-1"
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.uint8: "U8", torch.bool: "U8"}
TOLERANCES = {torch.float32: (1e-5, 1e-4), torch.float64: (1e-10, 1e-9)}


def write_safetensors(path, tensors, metadata):
    """safetensors: u64 LE header length, JSON header (sorted keys, space-padded to 8 bytes), raw LE data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype == torch.bool:
            t = t.to(torch.uint8)
        array = t.numpy()
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def fixture(name, module_name, kwargs, module, inputs, dtype, grad=True, differentiable=("input",)):
    """Runs `module` on `inputs` (ordered dict name -> tensor) and returns (tensors, metadata)."""
    module = module.to(dtype)
    tensors = {f"param.{k}": v.detach().clone() for k, v in module.state_dict().items()}
    leaves = {}
    for key, value in inputs.items():
        if value.is_floating_point():
            value = value.to(dtype)
            value.requires_grad_(grad and key in differentiable)
        leaves[key] = value
        tensors[f"input.{key}"] = value.detach().clone()
    output = module(*leaves.values())
    tensors["output.output"] = output.detach().clone()
    if grad:
        cotangent = torch.randn(output.shape, dtype=dtype)
        tensors["cotangent.output"] = cotangent
        (output * cotangent).sum().backward()
        for key, value in leaves.items():
            if value.requires_grad:
                tensors[f"grad.input.{key}"] = value.grad.detach().clone()
        for key, p in module.named_parameters():
            tensors[f"grad.param.{key}"] = (p.grad if p.grad is not None else torch.zeros_like(p)).detach().clone()
    atol, rtol = TOLERANCES[dtype]
    metadata = {
        "format": FORMAT,
        "module": module_name,
        "kwargs": json.dumps(kwargs, sort_keys=True),
        "call": "{}",
        "inputs": json.dumps(list(inputs)),
        "outputs": json.dumps(["output"]),
        "atol": repr(atol),
        "rtol": repr(rtol),
        "grad": "1" if grad else "0",
        "dtype": "f64" if dtype == torch.float64 else "f32",
        "generator": f"scripts/gen_golden.py {name} (torch {torch.__version__.split('+')[0]})",
    }
    return tensors, metadata


def randomize_(module):
    """Replaces every parameter with N(0, 1) values, so that loading (not the initialisation) is what is tested."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, dtype=p.dtype))
    return module


F32, F64 = torch.float32, torch.float64


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


def all_cases():
    yield from linear_cases()
    yield from layer_norm_cases()
    yield from embedding_cases()


def generate(out_dir):
    torch.set_num_threads(1)
    names = []
    for name, make in all_cases():
        torch.manual_seed(zlib.crc32(name.encode("utf-8")))
        tensors, metadata = make()
        write_safetensors(os.path.join(out_dir, f"{name}.safetensors"), tensors, metadata)
        names.append(name)
    return names


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "golden"), help="output folder")
    parser.add_argument("--check", action="store_true", help="verify the files in --out are reproducible")
    args = parser.parse_args()
    if not args.check:
        names = generate(args.out)
        print(f"gen_golden: wrote {len(names)} fixtures to {os.path.normpath(args.out)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        names = generate(tmp)
        bad = [n for n in names if not os.path.exists(os.path.join(args.out, f"{n}.safetensors"))
               or not filecmp.cmp(os.path.join(tmp, f"{n}.safetensors"), os.path.join(args.out, f"{n}.safetensors"),
                                  shallow=False)]
    for n in bad:
        print(f"gen_golden: {n}.safetensors differs from a fresh generation (or is missing)", file=sys.stderr)
    print(f"gen_golden: checked {len(names)} fixtures, {len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
