"""torch.softmax over the last dim of a float32 tensor (CPU), the anchor for `attend bench softmax`.

Usage: ANCHORS=.../shared/anchors OMP_NUM_THREADS=T OPENBLAS_NUM_THREADS=T \
           /usr/bin/python3 softmax.py --threads T [--shape 8,8,512,512] [--out]
Uses the anchor scripts' helpers (anchors/py/common.py: same warm-up, sampling and JSON record), so the numbers
are comparable with anchors/py/*.py and with `attend bench softmax`.
  default: y = torch.softmax(x, -1) under no_grad, a fresh output each call (as attend::softmax(x, -1));
  --out  : torch.ops.aten._softmax.out into a preallocated output (no allocation, no page faults).
Bytes: gbs_median counts one read of x and one write of y per call.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ANCHORS = os.environ.get("ANCHORS", os.path.join(HERE, "..", "..", "..", "shared", "anchors"))
sys.path.insert(0, os.path.join(ANCHORS, "py"))

import torch  # noqa: E402

from common import bench, emit, peak_rss_mib, setup_threads, stats_ms  # noqa: E402


def parse_shape(text):
    try:
        shape = [int(v) for v in text.split(",")]
    except ValueError:
        shape = []
    if not shape or any(v <= 0 for v in shape):
        raise argparse.ArgumentTypeError(f"--shape must be comma-separated positive integers, got '{text}'")
    return shape


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--shape", type=parse_shape, default=[8, 8, 512, 512])
    ap.add_argument("--out", action="store_true", help="write into a preallocated output")
    args = ap.parse_args()
    setup_threads(args.threads)
    x = torch.randn(*args.shape)
    if args.out:
        y = torch.empty_like(x)

        def step():
            torch.ops.aten._softmax.out(x, -1, False, out=y)
    else:
        def step():
            with torch.no_grad():
                torch.softmax(x, -1)

    samples = bench(step, target_s=3.0, min_samples=15)
    st = stats_ms(samples)
    nbytes = 2.0 * x.numel() * x.element_size()
    emit({"bench": "softmax", "shape": args.shape, "dim": -1, "out": args.out, "threads": args.threads, **st,
          "gbs_median": nbytes / (st["ms_median"] * 1e-3) / 1e9,
          "peak_rss_mib": peak_rss_mib()})


if __name__ == "__main__":
    main()
