// LayerNorm (Ba et al. 2016, "Layer Normalization"), as torch.nn.LayerNorm.
//
// Normalises each slice over the last normalized_shape.size() dims to zero mean and unit (biased) variance, then
// applies the elementwise affine map weight ⊙ x̂ + bias when elementwise_affine is on.
// Shapes: x [..., *normalized_shape] -> same shape; weight and bias normalized_shape (ones and zeros initially).
// Usage:
//   LayerNorm norm({.normalized_shape = {64}});
//   Var y = norm.forward(x);                             // x [B, T, 64] -> y [B, T, 64]
//   norm.load_state_dict({{"weight", g}, {"bias", b}});
#pragma once

#include "attend/core/shape.hpp"
#include "attend/nn/module.hpp"

namespace attend::nn {

struct LayerNormOptions {
  Shape normalized_shape;
  double eps = 1e-5;
  bool elementwise_affine = true;
  bool bias = true;  ///< with elementwise_affine: whether to learn the shift (torch >= 2.1's `bias`)
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(const LayerNormOptions& options);

  /// x [..., *normalized_shape] -> same shape. Throws naming both shapes when the trailing dims differ.
  Var forward(const Var& x) const;
  Var operator()(const Var& x) const { return forward(x); }

  /// Undefined without elementwise_affine (bias also without .bias).
  const Var& weight() const { return weight_; }
  const Var& bias() const { return bias_; }
  const LayerNormOptions& options() const { return options_; }

 private:
  LayerNormOptions options_;
  const Var& weight_;
  const Var& bias_;
};

}  // namespace attend::nn
