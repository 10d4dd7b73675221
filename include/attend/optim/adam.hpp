// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization") and AdamW (Loshchilov & Hutter 2019,
// "Decoupled Weight Decay Regularization"), with torch.optim.Adam / AdamW's semantics (PyTorch 1.13, single-tensor
// path), so the same parameters and gradients give the same updates.
//
// For each parameter p with gradient g, at its step t = 1, 2, ...:
//   AdamW (decoupled):  p ← p · (1 − lr · weight_decay)
//   Adam (L2):          g ← g + weight_decay · p
//   m ← β₁ m + (1 − β₁) g                      exp_avg
//   v ← β₂ v + (1 − β₂) g²                     exp_avg_sq
//   v̂ ← max(v̂, v) with amsgrad, else v̂ = v    max_exp_avg_sq
//   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)
// Arithmetic is done in f64 per element and stored in the parameter's dtype; the state has the parameter's dtype and
// shape, and the step count t is kept per parameter ("state.<i>.step", a 0-d f64), as torch keeps it.
//
// Usage:
//   Adam adam(model.parameters(), {.lr = 3e-3});
//   AdamW adamw(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
//   adam.zero_grad();  loss.backward();  adam.step();
#pragma once

#include <vector>

#include "attend/optim/optimizer.hpp"

namespace attend::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;    ///< torch's betas[0]
  double beta2 = 0.999;  ///< torch's betas[1]
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;  ///< true: AdamW's decay of the parameter; false: Adam's L2 term in the gradient
  bool amsgrad = false;
};

/// AdamW's options: torch.optim.AdamW's defaults (weight_decay 0.01).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  /// Throws naming the option when lr, eps or weight_decay is negative or a beta is outside [0, 1).
  Adam(std::vector<Var> parameters, const AdamOptions& options = {});

  void step() override;
  /// "state.<i>.step" (0-d f64), "state.<i>.exp_avg", "state.<i>.exp_avg_sq", and with amsgrad
  /// "state.<i>.max_exp_avg_sq" (each of the parameter's shape and dtype).
  std::map<std::string, Tensor> state_dict() const override;
  void load_state_dict(const std::map<std::string, Tensor>& state) override;

  const AdamOptions& options() const { return options_; }

 private:
  struct ParamState {
    int64_t step = 0;  // 0: not created yet
    Tensor exp_avg, exp_avg_sq, max_exp_avg_sq;
  };
  AdamOptions options_;
  std::vector<ParamState> state_;
};

/// Adam with decoupled weight decay.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Var> parameters, const AdamWOptions& options = {});
};

}  // namespace attend::optim
