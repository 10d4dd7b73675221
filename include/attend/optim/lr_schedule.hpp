// Learning-rate schedules: the learning rate of each optimizer step as a closed-form function of the step number,
// matching torch.optim.lr_scheduler where PyTorch has the schedule (PyTorch 1.13; its schedulers update the rate
// multiplicatively, so they agree with these formulas to rounding, ~1e-16 relative).
//
// With s = the step number (0 = the first optimizer step), lr = the base rate, W = warmup_steps:
//   constant             lr
//   step                 lr · gamma^⌊s / step_size⌋                      torch StepLR(step_size, gamma)
//   linear_warmup        lr · min(1, (s + 1) / W); lr when W = 0         torch LinearLR(1/W, 1, total_iters = W − 1)
//   warmup_inverse_sqrt  lr · min((s + 1) / W, √(W / (s + 1)))           Vaswani et al. 2017 §5.3 with lr = d^-½ W^-½;
//                        fairseq's inverse_sqrt with warmup_init_lr 0: rises linearly to lr at s = W − 1, then ∝ 1/√s
//   cosine               lr · (s + 1) / W for s < W (linear warmup), then, with t = min(s, total_steps) − W and
//                        T = total_steps − W:  min_lr + (lr − min_lr) · (1 + cos(π t / T)) / 2
//                        torch SequentialLR([LinearLR(1/W, 1, W − 1), CosineAnnealingLR(T, min_lr)], [W]), or
//                        CosineAnnealingLR(total_steps, min_lr) alone when W = 0. The step is clamped at total_steps,
//                        so steps past the end keep min_lr (torch's cosine would rise again).
// tests/unit/optim/torch_optim_test.cpp replays torch's schedulers from a fixture (scripts/gen_optim_fixture.py).
//
// Usage:
//   LrScheduleOptions schedule{.kind = LrScheduleKind::warmup_inverse_sqrt, .warmup_steps = 4000};
//   for (int64_t s = 0; s < steps; ++s) { optim.set_lr(scheduled_lr(1e-3, schedule, s)); ... optim.step(); }
#pragma once

#include <cstdint>
#include <string>

namespace attend::optim {

enum class LrScheduleKind { constant, step, linear_warmup, warmup_inverse_sqrt, cosine };

struct LrScheduleOptions {
  LrScheduleKind kind = LrScheduleKind::constant;
  int64_t warmup_steps = 0;  ///< W: linear_warmup (≥ 0), warmup_inverse_sqrt (≥ 1), cosine (≥ 0, < total_steps)
  int64_t step_size = 1000;  ///< step: steps between two multiplications by gamma (≥ 1)
  double gamma = 0.5;        ///< step: the factor (> 0)
  int64_t total_steps = 0;   ///< cosine: the steps of the whole run (> warmup_steps); ignored by the others
  double min_lr = 0.0;       ///< cosine: the rate reached at total_steps (≥ 0)
};

/// The learning rate of optimizer step number `step` (0 = the first step) for base learning rate `base_lr`, by the
/// formulas above. Throws attend::Error naming the option when the options are invalid (validate_lr_schedule), and
/// when base_lr is negative or not finite or step is negative.
double scheduled_lr(double base_lr, const LrScheduleOptions& options, int64_t step);

/// Throws attend::Error naming the schedule and the option: warmup_steps negative, or set for constant / step
/// (which have no warmup); warmup_inverse_sqrt without warmup; step_size < 1 or gamma not > 0 for step; cosine with
/// total_steps ≤ warmup_steps or min_lr negative.
void validate_lr_schedule(const LrScheduleOptions& options);

/// "constant", "step", "linear_warmup", "warmup_inverse_sqrt" or "cosine" → the kind; throws listing the valid
/// names otherwise.
LrScheduleKind parse_lr_schedule(const std::string& name);

/// The name parse_lr_schedule reads.
const char* lr_schedule_name(LrScheduleKind kind);

}  // namespace attend::optim
