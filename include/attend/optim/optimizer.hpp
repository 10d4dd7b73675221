// Optimizer: the base of every parameter-update rule (Adam, AdamW, SGD, ...), as torch.optim.Optimizer with one
// parameter group.
//
// An optimizer holds the parameters it updates (leaf Vars shared with the model, so an update is seen by the model),
// the learning rate (schedules change it between steps with set_lr), and per-parameter state (moment estimates, step
// counts) created lazily on the first step that finds a gradient. step() updates every parameter that has a gradient
// in place, inside a NoGradGuard; a parameter whose grad() is undefined is skipped and its state is left alone, as
// torch does with `p.grad is None`.
//
// State as named tensors, for checkpoints: "state.<i>.<name>" where i is the parameter's index in parameters() and
// <name> is the rule's (Adam: step, exp_avg, exp_avg_sq, max_exp_avg_sq), the layout of torch's
// optimizer.state_dict()["state"]. Hyperparameters (lr, betas, ...) are options, not state.
//
// Usage:
//   Adam optim(model.parameters(), {.lr = 1e-3});
//   optim.zero_grad();  loss.backward();  optim.step();
//   auto saved = optim.state_dict();  ...  optim.load_state_dict(saved);   // resume exactly
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "attend/autograd/var.hpp"

namespace attend::optim {

class Optimizer {
 public:
  /// `parameters` must be defined leaf Vars of f32 or f64; throws naming the index of one that is not.
  Optimizer(std::vector<Var> parameters, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient.
  virtual void step() = 0;
  /// Forgets every parameter's gradient (as torch's zero_grad(set_to_none=True)).
  void zero_grad();

  const std::vector<Var>& parameters() const { return parameters_; }
  double lr() const { return lr_; }
  /// Sets the learning rate used by the next step(); throws when lr is negative or not finite.
  void set_lr(double lr);

  /// Every state tensor by name ("state.<i>.<name>"), copies. Parameters that were never updated have no entries.
  virtual std::map<std::string, Tensor> state_dict() const = 0;
  /// Replaces the state with `state` (as written by state_dict of an optimizer of the same kind over parameters of
  /// the same shapes). Throws naming the key on an unknown name, a parameter index out of range, a shape that
  /// differs from the parameter's, or a parameter whose state is incomplete; nothing changes when it throws.
  virtual void load_state_dict(const std::map<std::string, Tensor>& state) = 0;

 protected:
  /// "state.<index>.<name>".
  static std::string state_key(size_t index, const std::string& name);
  /// Splits a "state.<i>.<name>" key into (i, name); throws naming the key when it is malformed or i is out of range.
  std::pair<size_t, std::string> parse_state_key(const std::string& key, const char* op) const;

 private:
  std::vector<Var> parameters_;
  double lr_;
};

}  // namespace attend::optim
