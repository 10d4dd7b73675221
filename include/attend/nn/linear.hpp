// Linear: the affine map y = x Wᵀ + b, as torch.nn.Linear (same parameter names, layout and initialisation).
//
// Shapes: x [..., in_features] -> y [..., out_features]; weight [out_features, in_features], bias [out_features].
// Initialisation (PyTorch's default): weight ~ U(-1/√in, 1/√in) (kaiming-uniform with a = √5), bias likewise, drawn
// from attend::Rng streams 0 (weight) and 1 (bias) of options.seed.
// Usage:
//   Linear proj({.in_features = 64, .out_features = 32});
//   Var y = proj.forward(x);                             // x [B, T, 64] -> y [B, T, 32]
//   proj.load_state_dict({{"weight", w}, {"bias", b}});  // PyTorch's state_dict names
#pragma once

#include <cstdint>

#include "attend/nn/module.hpp"

namespace attend::nn {

struct LinearOptions {
  int64_t in_features;
  int64_t out_features;
  bool bias = true;
  uint64_t seed = 0;  ///< initialisation stream; give each layer of a model its own
};

class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& options);

  /// x [..., in_features] -> [..., out_features]. Throws naming both shapes when x.shape[-1] != in_features.
  Var forward(const Var& x) const;
  Var operator()(const Var& x) const { return forward(x); }

  const Var& weight() const { return weight_; }
  /// Undefined when constructed with .bias = false.
  const Var& bias() const { return bias_; }
  const LinearOptions& options() const { return options_; }

 private:
  LinearOptions options_;
  const Var& weight_;
  const Var& bias_;
};

}  // namespace attend::nn
