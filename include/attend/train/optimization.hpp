// The optimizer and learning-rate schedule of a training run, built from the optim section of the config
// (train/config.hpp's OptimConfig): optim.optimizer adam | adamw | sgd with optim.lr, beta1, beta2, eps, weight_decay,
// momentum, nesterov; optim.schedule with warmup_steps, step_size, gamma, min_lr (formulas in optim/lr_schedule.hpp).
// Errors name the option ("optim.optimizer must be one of adam, adamw, sgd; got 'adagrad'").
//
// Usage:
//   auto optimizer = make_optimizer(model.parameters(), config.optim);
//   auto schedule = make_lr_schedule(config.optim, total_steps);
//   optimizer->set_lr(optim::scheduled_lr(config.optim.lr, schedule, step));  ...  optimizer->step();
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/optim/lr_schedule.hpp"
#include "attend/optim/optimizer.hpp"
#include "attend/train/config.hpp"

namespace attend::train {

/// adam → optim::Adam (L2 weight decay), adamw → optim::AdamW (decoupled; weight_decay is optim.weight_decay, 0 by
/// default, not torch's 0.01), sgd → optim::Sgd (momentum, nesterov, weight_decay; no dampening). Throws naming
/// optim.optimizer for an unknown name, optim.momentum / optim.nesterov when set for adam or adamw (they would be
/// ignored), and "optim: <the optimizer's message>" for an option out of range.
std::unique_ptr<optim::Optimizer> make_optimizer(std::vector<Var> parameters, const OptimConfig& config);

/// The schedule optim.schedule names, with optim.warmup_steps, step_size, gamma, min_lr, and `total_steps` (the
/// optimizer steps of the whole run; the cosine schedule needs it). Throws naming optim.schedule for an unknown name
/// and "optim: <the schedule's message>" for invalid options (validate_lr_schedule).
optim::LrScheduleOptions make_lr_schedule(const OptimConfig& config, int64_t total_steps);

}  // namespace attend::train
