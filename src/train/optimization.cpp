// The optimizer and learning-rate schedule of a training run, from OptimConfig.
#include "attend/train/optimization.hpp"

#include "attend/core/error.hpp"
#include "attend/optim/adam.hpp"
#include "attend/optim/sgd.hpp"

namespace attend::train {

namespace {

// Runs make(), prefixing the message of an attend::Error with "optim: " so the user knows which section to edit.
template <class F>
auto in_optim_section(F&& make) {
  try {
    return make();
  } catch (const Error& e) {
    throw Error(fmt::format("optim: {}", e.what()));
  }
}

}  // namespace

std::unique_ptr<optim::Optimizer> make_optimizer(std::vector<Var> parameters, const OptimConfig& c) {
  const std::string& name = c.optimizer;
  ATTEND_CHECK(name == "adam" || name == "adamw" || name == "sgd",
               "optim.optimizer must be one of adam, adamw, sgd; got '{}'", name);
  if (name == "sgd") {
    return in_optim_section([&]() -> std::unique_ptr<optim::Optimizer> {
      const optim::SgdOptions options{
          .lr = c.lr, .momentum = c.momentum, .weight_decay = c.weight_decay, .nesterov = c.nesterov};
      return std::make_unique<optim::Sgd>(std::move(parameters), options);
    });
  }
  ATTEND_CHECK(c.momentum == 0.0, "optim.momentum is an sgd option, but optim.optimizer is '{}' (got momentum {})",
               name, c.momentum);
  ATTEND_CHECK(!c.nesterov, "optim.nesterov is an sgd option, but optim.optimizer is '{}'", name);
  return in_optim_section([&]() -> std::unique_ptr<optim::Optimizer> {
    if (name == "adamw") {
      const optim::AdamWOptions options{
          .lr = c.lr, .beta1 = c.beta1, .beta2 = c.beta2, .eps = c.eps, .weight_decay = c.weight_decay};
      return std::make_unique<optim::AdamW>(std::move(parameters), options);
    }
    const optim::AdamOptions options{
        .lr = c.lr, .beta1 = c.beta1, .beta2 = c.beta2, .eps = c.eps, .weight_decay = c.weight_decay};
    return std::make_unique<optim::Adam>(std::move(parameters), options);
  });
}

optim::LrScheduleOptions make_lr_schedule(const OptimConfig& c, int64_t total_steps) {
  optim::LrScheduleOptions options;
  try {
    options.kind = optim::parse_lr_schedule(c.schedule);
  } catch (const Error&) {
    throw Error(fmt::format(
        "optim.schedule must be one of constant, step, linear_warmup, warmup_inverse_sqrt, cosine; got '{}'",
        c.schedule));
  }
  options.warmup_steps = c.warmup_steps;
  options.step_size = c.step_size;
  options.gamma = c.gamma;
  options.total_steps = total_steps;
  options.min_lr = c.min_lr;
  in_optim_section([&] {
    optim::validate_lr_schedule(options);
    return 0;
  });
  return options;
}

}  // namespace attend::train
