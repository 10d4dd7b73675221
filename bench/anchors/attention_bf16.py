"""The attention anchor on torch.bfloat16 tensors (CPU): the anchor for `attend bench attention --precision bf16`.

Usage: ANCHORS=.../shared/anchors OMP_NUM_THREADS=T OPENBLAS_NUM_THREADS=T \
           /usr/bin/python3 attention_bf16.py --threads T --variant naive|causal --n N [--mode fwd|fwdbwd]
anchors/py/attention.py's naive_attention, shapes (B8 H8 d64), modes, timing (its common.bench call) and record,
with q, k, v (and the upstream gradient) made as there and then converted to bf16: torch's matmuls then run
oneDNN's bf16 GEMMs (AVX512-BF16 where the CPU has it) and the softmax (and its backward) runs on bf16 tensors.
fwd: under no_grad; fwdbwd: q, k, v are bf16 leaves that take gradients (bf16), forgotten before each call as there.
The record adds "precision": "bf16".
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ANCHORS = os.environ.get("ANCHORS", os.path.join(HERE, "..", "..", "..", "shared", "anchors"))
sys.path.insert(0, os.path.join(ANCHORS, "py"))

import torch  # noqa: E402

from attention import B, D, H, naive_attention  # noqa: E402
from common import bench, emit, peak_rss_mib, rss_now_mib, setup_threads, stats_ms  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--variant", choices=["naive", "causal"], required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--mode", choices=["fwd", "fwdbwd"], default="fwd")
    args = ap.parse_args()
    setup_threads(args.threads)
    n = args.n
    rss_base = rss_now_mib()
    need_grad = args.mode == "fwdbwd"
    q, k, v = (torch.randn(B, H, n, D).to(torch.bfloat16).requires_grad_(need_grad) for _ in range(3))
    mask = torch.ones(n, n, dtype=torch.bool).triu(1) if args.variant == "causal" else None
    if args.mode == "fwd":
        def step():
            with torch.no_grad():
                naive_attention(q, k, v, mask)
    else:
        g = torch.randn(B, H, n, D).to(torch.bfloat16)

        def step():
            q.grad = k.grad = v.grad = None
            out = naive_attention(q, k, v, mask)
            out.backward(g)

    samples = bench(step, warmup_s=0.5, min_warmup=2, min_samples=5, target_s=4.0)
    st = stats_ms(samples)
    core_flop = 4.0 * B * H * n * n * D * (1.0 if args.mode == "fwd" else 3.0)
    emit({"bench": "attention", "variant": args.variant, "mode": args.mode, "n": n, "threads": args.threads,
          "B": B, "H": H, "d": D, **st,
          "gflops_core_median": core_flop / (st["ms_median"] * 1e-3) / 1e9,
          "gflops_core_min": core_flop / (st["ms_max"] * 1e-3) / 1e9,
          "gflops_core_max": core_flop / (st["ms_min"] * 1e-3) / 1e9,
          "peak_rss_mib": peak_rss_mib(), "rss_base_mib": rss_base, "precision": "bf16"})


if __name__ == "__main__":
    main()
