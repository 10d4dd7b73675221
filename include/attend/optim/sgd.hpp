// Stochastic gradient descent with momentum (Polyak 1964; Nesterov's variant as in Sutskever et al. 2013, "On the
// importance of initialization and momentum in deep learning"), with torch.optim.SGD's semantics (PyTorch 1.13,
// single-tensor path), so the same parameters and gradients give the same updates.
//
// For each parameter p with gradient g:
//   g ← g + weight_decay · p                        (L2 term, when weight_decay ≠ 0)
//   with momentum μ ≠ 0:
//     b ← g on the parameter's first step, else b ← μ b + (1 − dampening) g      momentum_buffer
//     g ← g + μ b with nesterov, else g ← b
//   p ← p − lr · g
// Arithmetic is done in f64 per element and stored in the parameter's dtype; the momentum buffer has the parameter's
// dtype and shape and exists only with momentum, from the first step that finds the parameter's gradient
// ("state.<i>.momentum_buffer"). Without momentum SGD keeps no state.
//
// Usage:
//   Sgd sgd(model.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
//   sgd.zero_grad();  loss.backward();  sgd.step();
#pragma once

#include <vector>

#include "attend/optim/optimizer.hpp"

namespace attend::optim {

struct SgdOptions {
  double lr = 1e-2;
  double momentum = 0;      ///< μ
  double dampening = 0;     ///< scales the new gradient in the buffer by (1 − dampening), from the second step
  double weight_decay = 0;  ///< L2 coefficient added to the gradient
  bool nesterov = false;    ///< needs momentum > 0 and dampening 0 (as torch)
};

class Sgd : public Optimizer {
 public:
  /// Throws naming the option when lr, momentum or weight_decay is negative or not finite, dampening is not finite,
  /// or nesterov is set without momentum or with dampening.
  Sgd(std::vector<Var> parameters, const SgdOptions& options = {});

  void step() override;
  /// "state.<i>.momentum_buffer" (the parameter's shape and dtype) for each parameter updated with momentum.
  std::map<std::string, Tensor> state_dict() const override;
  /// Throws naming the key on an unknown name (any name when momentum is 0), an index out of range, a shape that
  /// differs from the parameter's or a dtype other than f32/f64; nothing changes when it throws.
  void load_state_dict(const std::map<std::string, Tensor>& state) override;

  const SgdOptions& options() const { return options_; }

 private:
  SgdOptions options_;
  std::vector<Tensor> momentum_buffer_;  // per parameter; undefined until its first step with momentum
};

}  // namespace attend::optim
