"""Shared pieces of the fixture generators: the safetensors writer and the fixture() builder (format: fixtures.md)."""
import json
import struct

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


def fixture(name, module_name, kwargs, module, inputs, dtype, grad=True, differentiable=("input",), forward=None,
            call=None):
    """Runs `module` on `inputs` (ordered dict name -> tensor) and returns (tensors, metadata).

    forward(module, leaves) -> dict output name -> tensor; default {"output": module(*leaves.values())}.
    Floating inputs are converted to `dtype`; those named in `differentiable` get gradients when `grad`.
    With grad, each floating output gets a random cotangent and the loss is the sum of sum(output * cotangent)."""
    module = module.to(dtype)
    tensors = {f"param.{k}": v.detach().clone() for k, v in module.state_dict().items()}
    leaves = {}
    for key, value in inputs.items():
        if value.is_floating_point():
            value = value.to(dtype)
            value.requires_grad_(grad and key in differentiable)
        leaves[key] = value
        tensors[f"input.{key}"] = value.detach().clone()
    outputs = forward(module, leaves) if forward else {"output": module(*leaves.values())}
    for key, value in outputs.items():
        tensors[f"output.{key}"] = value.detach().clone()
    if grad:
        loss = 0
        for key, value in outputs.items():
            if value.is_floating_point() and value.requires_grad:
                cotangent = torch.randn(value.shape, dtype=dtype)
                tensors[f"cotangent.{key}"] = cotangent
                loss = loss + (value * cotangent).sum()
        loss.backward()
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
        "call": json.dumps(call or {}, sort_keys=True),
        "inputs": json.dumps(list(inputs)),
        "outputs": json.dumps(list(outputs)),
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
