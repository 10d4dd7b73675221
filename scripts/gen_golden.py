#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures in tests/golden/ (format: docs in fixtures.md, "attend-parity-1").

Run with the Debian python3 that has python3-torch (1.13):
    /usr/bin/python3 scripts/gen_golden.py            # rewrites tests/golden/*.safetensors
    /usr/bin/python3 scripts/gen_golden.py --check    # regenerates into a temp dir and compares byte for byte

Each fixture is one safetensors file holding a module's weights (param.<state_dict key>), its inputs, PyTorch's
outputs and, with grad, random cotangents and the gradients of loss = sum(output * cotangent). Everything is seeded
from the fixture's name, so the files are reproducible. Torch is needed only here, never at build or test time.
One module per family of modules lives in scripts/golden/ (a cases() generator each); the safetensors writer is
the few lines of scripts/golden/common.py (the `safetensors` package is not a dependency).
"""
import argparse
import filecmp
import glob
import importlib
import os
import sys
import tempfile
import zlib

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden.common import write_safetensors  # noqa: E402


def families():
    """Every module scripts/golden/<family>.py (except common) with a cases() generator, in name order."""
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "golden", "*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if name not in ("common", "__init__"):
            yield importlib.import_module(f"golden.{name}")


def all_cases():
    for family in families():
        yield from family.cases()


def generate(out_dir, only=()):
    torch.set_num_threads(1)
    names = []
    for name, make in all_cases():
        if only and not any(name.startswith(prefix) for prefix in only):
            continue
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
    parser.add_argument("--only", nargs="+", default=(), metavar="PREFIX", help="only fixtures whose name starts so")
    args = parser.parse_args()
    if not args.check:
        names = generate(args.out, args.only)
        print(f"gen_golden: wrote {len(names)} fixtures to {os.path.normpath(args.out)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        names = generate(tmp, args.only)
        bad = [n for n in names if not os.path.exists(os.path.join(args.out, f"{n}.safetensors"))
               or not filecmp.cmp(os.path.join(tmp, f"{n}.safetensors"), os.path.join(args.out, f"{n}.safetensors"),
                                  shallow=False)]
    for n in bad:
        print(f"gen_golden: {n}.safetensors differs from a fresh generation (or is missing)", file=sys.stderr)
    print(f"gen_golden: checked {len(names)} fixtures, {len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
