#!/usr/bin/env python3
"""Generate tests/data/optim/torch_optim.safetensors: torch.optim reference trajectories for the optimizer tests.

Run with the Debian python3 that has python3-torch (1.13):
    /usr/bin/python3 scripts/gen_optim_fixture.py            # rewrites tests/data/optim/torch_optim.safetensors
    /usr/bin/python3 scripts/gen_optim_fixture.py --check    # regenerates into a temp dir and compares byte for byte

Each case runs one torch.optim optimizer (SGD, Adam, AdamW) with one learning-rate scheduler and, in some cases,
torch.nn.utils.clip_grad_norm_ / clip_grad_value_, for STEPS steps on three f32 parameters of odd shapes, with fixed
random gradients. A step is: set the gradients (None where the case leaves one out), clip, read the lr, opt.step(),
sched.step(). The file holds, for case <c> and parameter <j>:
    <c>.param.<j>     the initial value                                    f32, shape S_j
    <c>.grad.<j>      the gradient given at each step (before clipping)    f32, [STEPS, *S_j]
    <c>.has_grad      1 where parameter j has a gradient at step k        u8,  [STEPS, P]
    <c>.after.<j>     the value after each step                            f32, [STEPS, *S_j]
    <c>.lr            the lr the scheduler gave each step                  f64, [STEPS]
    <c>.grad_norm     clip_grad_norm_'s result each step (clip_norm only)  f64, [STEPS]
The metadata holds "cases": a JSON list of {name, optimizer, options, schedule, clip_norm, clip_value}, with
options and schedule named as attend's SgdOptions / AdamOptions / LrScheduleOptions, so the C++ test
(tests/unit/optim/torch_optim_test.cpp) rebuilds each case from the file alone. The lr of every scheduler is also
checked here against the closed forms documented in include/attend/optim/lr_schedule.hpp.
"""
import argparse
import filecmp
import json
import math
import os
import sys
import tempfile
import warnings
import zlib

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden.common import write_safetensors  # noqa: E402

STEPS = 10
SHAPES = [(3, 5), (7,), (2, 1, 3)]
FILE = "torch_optim.safetensors"

# name, optimizer, attend options, schedule (LrScheduleOptions fields), clip_norm, clip_value, missing grads
# ((step, parameter) pairs whose gradient is None).
CASES = [
    ("sgd_plain", "sgd", {"lr": 0.1}, {"kind": "constant"}, 0.0, 0.0, []),
    ("sgd_momentum_step", "sgd", {"lr": 0.05, "momentum": 0.9}, {"kind": "step", "step_size": 3, "gamma": 0.5},
     0.0, 0.0, []),
    ("sgd_nesterov_weight_decay_clip_norm", "sgd",
     {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
     {"kind": "linear_warmup", "warmup_steps": 4}, 1.0, 0.0, []),
    ("sgd_dampening_clip_value_cosine", "sgd",
     {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.02},
     {"kind": "cosine", "warmup_steps": 2, "total_steps": 10, "min_lr": 0.01}, 0.0, 0.5, [(0, 2), (3, 1), (4, 1)]),
    ("adam_inverse_sqrt", "adam", {"lr": 0.01}, {"kind": "warmup_inverse_sqrt", "warmup_steps": 3}, 0.0, 0.0, []),
    ("adam_weight_decay_clip_norm_step", "adam",
     {"lr": 0.02, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6, "weight_decay": 0.1},
     {"kind": "step", "step_size": 4, "gamma": 0.3}, 2.0, 0.0, []),
    ("adam_amsgrad_cosine", "adam", {"lr": 0.05, "amsgrad": True},
     {"kind": "cosine", "total_steps": 10, "min_lr": 0.001}, 0.0, 0.0, [(2, 0), (5, 2)]),
    ("adamw_linear_warmup_clip_value", "adamw", {"lr": 0.01, "weight_decay": 0.1},
     {"kind": "linear_warmup", "warmup_steps": 3}, 0.0, 0.3, []),
    ("adamw_amsgrad_cosine_clip_both", "adamw", {"lr": 0.03, "weight_decay": 0.05, "amsgrad": True},
     {"kind": "cosine", "warmup_steps": 3, "total_steps": 12, "min_lr": 0.002}, 0.5, 0.1, [(1, 1)]),
]


def make_optimizer(kind, params, o):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0.0), dampening=o.get("dampening", 0.0),
                               weight_decay=o.get("weight_decay", 0.0), nesterov=o.get("nesterov", False))
    cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return cls(params, lr=o["lr"], betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)), eps=o.get("eps", 1e-8),
               weight_decay=o.get("weight_decay", 0.0 if kind == "adam" else 1e-2), amsgrad=o.get("amsgrad", False))


def make_scheduler(opt, s):
    """torch's own scheduler for each kind (LambdaLR where torch has none: warmup_inverse_sqrt)."""
    kind, warmup = s["kind"], s.get("warmup_steps", 0)
    if kind == "constant":
        return torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0)
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=s["step_size"], gamma=s["gamma"])
    if kind == "linear_warmup":
        return torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0 / warmup, end_factor=1.0,
                                                 total_iters=warmup - 1)
    if kind == "warmup_inverse_sqrt":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda k: min((k + 1) / warmup, math.sqrt(warmup / (k + 1))))
    assert kind == "cosine"
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s["total_steps"] - warmup, eta_min=s["min_lr"])
    if warmup == 0:
        return cosine
    linear = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0 / warmup, end_factor=1.0, total_iters=warmup - 1)
    return torch.optim.lr_scheduler.SequentialLR(opt, [linear, cosine], milestones=[warmup])


def closed_form_lr(base, s, step):
    """The formulas of include/attend/optim/lr_schedule.hpp, to check that torch's schedulers agree with them."""
    kind, warmup = s["kind"], s.get("warmup_steps", 0)
    if kind == "constant":
        return base
    if kind == "step":
        return base * s["gamma"] ** (step // s["step_size"])
    if kind == "linear_warmup":
        return base * min(1.0, (step + 1) / warmup) if warmup > 0 else base
    if kind == "warmup_inverse_sqrt":
        return base * min((step + 1) / warmup, math.sqrt(warmup / (step + 1)))
    if step < warmup:
        return base * (step + 1) / warmup
    t, span = min(step, s["total_steps"]) - warmup, s["total_steps"] - warmup
    return s["min_lr"] + (base - s["min_lr"]) * (1 + math.cos(math.pi * t / span)) / 2


def run_case(name, kind, options, schedule, clip_norm, clip_value, missing):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))
    # Weights of a typical magnitude (|p| < 2): torch's f32 arithmetic rounds after each op and casts scalars such as
    # 1 - lr * weight_decay to f32, attend's optimizers compute each element in f64; 10 steps of that drift apart by
    # a few f32 ulps of |p|, which must stay well below the test's 1e-6.
    initial = [0.5 * torch.randn(s, dtype=torch.float32) for s in SHAPES]
    grads = [2.0 * torch.randn((STEPS,) + s, dtype=torch.float32) for s in SHAPES]
    has_grad = torch.ones((STEPS, len(SHAPES)), dtype=torch.uint8)
    for step, j in missing:
        has_grad[step, j] = 0
    params = [torch.nn.Parameter(p.clone()) for p in initial]
    opt = make_optimizer(kind, params, options)
    sched = make_scheduler(opt, schedule)
    after = [torch.empty((STEPS,) + s, dtype=torch.float32) for s in SHAPES]
    lrs = torch.empty(STEPS, dtype=torch.float64)
    norms = torch.empty(STEPS, dtype=torch.float64)
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        for j, p in enumerate(params):
            p.grad = grads[j][step].clone() if has_grad[step, j] else None
        if clip_norm > 0:
            norms[step] = float(torch.nn.utils.clip_grad_norm_(params, clip_norm))
        if clip_value > 0:
            torch.nn.utils.clip_grad_value_(params, clip_value)
        lrs[step] = opt.param_groups[0]["lr"]
        want = closed_form_lr(options["lr"], schedule, step)
        assert abs(lrs[step] - want) <= 1e-12 * options["lr"], f"{name} step {step}: torch lr {lrs[step]}, {want}"
        opt.step()
        sched.step()
        for j, p in enumerate(params):
            after[j][step] = p.detach()
    tensors = {f"{name}.lr": lrs, f"{name}.has_grad": has_grad}
    if clip_norm > 0:
        tensors[f"{name}.grad_norm"] = norms
    for j in range(len(SHAPES)):
        tensors[f"{name}.param.{j}"] = initial[j]
        tensors[f"{name}.grad.{j}"] = grads[j]
        tensors[f"{name}.after.{j}"] = after[j]
    description = {"name": name, "optimizer": kind, "options": options, "schedule": schedule,
                   "clip_norm": clip_norm, "clip_value": clip_value}
    return tensors, description


def generate(out_dir):
    torch.set_num_threads(1)
    # SequentialLR calls scheduler.step(0) at its milestone, which torch 1.13 reports as deprecated.
    warnings.filterwarnings("ignore", message="The epoch parameter", category=UserWarning)
    tensors, cases = {}, []
    for case in CASES:
        t, d = run_case(*case)
        tensors.update(t)
        cases.append(d)
    metadata = {"format": "attend-optim-1", "steps": str(STEPS), "cases": json.dumps(cases, sort_keys=True),
                "generator": f"scripts/gen_optim_fixture.py (torch {torch.__version__.split('+')[0]})"}
    write_safetensors(os.path.join(out_dir, FILE), tensors, metadata)
    return len(cases)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "optim"), help="output folder")
    parser.add_argument("--check", action="store_true", help="verify the file in --out is reproducible")
    args = parser.parse_args()
    if not args.check:
        os.makedirs(args.out, exist_ok=True)
        n = generate(args.out)
        print(f"gen_optim_fixture: wrote {n} cases to {os.path.normpath(os.path.join(args.out, FILE))}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        n = generate(tmp)
        same = os.path.exists(os.path.join(args.out, FILE)) and filecmp.cmp(
            os.path.join(tmp, FILE), os.path.join(args.out, FILE), shallow=False)
    print(f"gen_optim_fixture: checked {n} cases, the file {'matches' if same else 'differs (or is missing)'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
