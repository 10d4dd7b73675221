// Learning-rate schedules: option checks and the closed forms of lr_schedule.hpp.
#include "attend/optim/lr_schedule.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "attend/core/error.hpp"

namespace attend::optim {

namespace {

constexpr std::array<std::pair<LrScheduleKind, const char*>, 5> kNames{{
    {LrScheduleKind::constant, "constant"},
    {LrScheduleKind::step, "step"},
    {LrScheduleKind::linear_warmup, "linear_warmup"},
    {LrScheduleKind::warmup_inverse_sqrt, "warmup_inverse_sqrt"},
    {LrScheduleKind::cosine, "cosine"},
}};

}  // namespace

const char* lr_schedule_name(LrScheduleKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  ATTEND_ASSERT(false, "unknown LrScheduleKind {}", static_cast<int>(kind));
  return "";
}

LrScheduleKind parse_lr_schedule(const std::string& name) {
  for (const auto& [kind, n] : kNames) {
    if (name == n) return kind;
  }
  throw Error(fmt::format(
      "lr schedule must be one of constant, step, linear_warmup, warmup_inverse_sqrt, cosine; got '{}'", name));
}

void validate_lr_schedule(const LrScheduleOptions& o) {
  const char* name = lr_schedule_name(o.kind);
  ATTEND_CHECK(o.warmup_steps >= 0, "lr schedule '{}': warmup_steps must be >= 0, got {}", name, o.warmup_steps);
  ATTEND_CHECK(o.total_steps >= 0, "lr schedule '{}': total_steps must be >= 0, got {}", name, o.total_steps);
  switch (o.kind) {
    case LrScheduleKind::constant:
    case LrScheduleKind::step:
      ATTEND_CHECK(o.warmup_steps == 0,
                   "lr schedule '{}' has no warmup, but warmup_steps is {} (warmup is part of linear_warmup, "
                   "warmup_inverse_sqrt and cosine)",
                   name, o.warmup_steps);
      if (o.kind == LrScheduleKind::step) {
        ATTEND_CHECK(o.step_size >= 1, "lr schedule 'step': step_size must be >= 1, got {}", o.step_size);
        ATTEND_CHECK(std::isfinite(o.gamma) && o.gamma > 0.0, "lr schedule 'step': gamma must be a finite number > 0, "
                     "got {}", o.gamma);
      }
      break;
    case LrScheduleKind::linear_warmup:
      break;
    case LrScheduleKind::warmup_inverse_sqrt:
      ATTEND_CHECK(o.warmup_steps >= 1, "lr schedule 'warmup_inverse_sqrt': warmup_steps must be >= 1, got {}",
                   o.warmup_steps);
      break;
    case LrScheduleKind::cosine:
      ATTEND_CHECK(o.total_steps > o.warmup_steps,
                   "lr schedule 'cosine': total_steps must be greater than warmup_steps (got total_steps {}, "
                   "warmup_steps {}); the cosine needs to know how long the run is",
                   o.total_steps, o.warmup_steps);
      ATTEND_CHECK(std::isfinite(o.min_lr) && o.min_lr >= 0.0,
                   "lr schedule 'cosine': min_lr must be a finite number >= 0, got {}", o.min_lr);
      break;
  }
}

double scheduled_lr(double base_lr, const LrScheduleOptions& o, int64_t step) {
  validate_lr_schedule(o);
  ATTEND_CHECK(std::isfinite(base_lr) && base_lr >= 0.0,
               "lr schedule '{}': the base lr must be a finite number >= 0, got {}", lr_schedule_name(o.kind), base_lr);
  ATTEND_CHECK(step >= 0, "lr schedule '{}': step must be >= 0, got {}", lr_schedule_name(o.kind), step);
  const double s1 = static_cast<double>(step) + 1.0;  // steps done after this one
  const double warmup = static_cast<double>(o.warmup_steps);
  switch (o.kind) {
    case LrScheduleKind::constant:
      return base_lr;
    case LrScheduleKind::step:
      return base_lr * std::pow(o.gamma, static_cast<double>(step / o.step_size));
    case LrScheduleKind::linear_warmup:
      return o.warmup_steps == 0 ? base_lr : base_lr * std::min(1.0, s1 / warmup);
    case LrScheduleKind::warmup_inverse_sqrt:
      return base_lr * std::min(s1 / warmup, std::sqrt(warmup / s1));
    case LrScheduleKind::cosine: {
      if (step < o.warmup_steps) return base_lr * s1 / warmup;
      const double t = static_cast<double>(std::min(step, o.total_steps) - o.warmup_steps);
      const double span = static_cast<double>(o.total_steps - o.warmup_steps);
      return o.min_lr + (base_lr - o.min_lr) * (1.0 + std::cos(std::numbers::pi * t / span)) / 2.0;
    }
  }
  ATTEND_ASSERT(false, "unknown LrScheduleKind {}", static_cast<int>(o.kind));
  return base_lr;
}

}  // namespace attend::optim
