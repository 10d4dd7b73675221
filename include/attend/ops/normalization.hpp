// Layer normalisation (Ba et al. 2016, "Layer Normalization"), as torch.nn.functional.layer_norm
// (src/ops/normalization.cpp).
//
// Normalises over the last normalized_shape.size() dims with the biased variance and eps inside the square root,
// then scales and shifts: y = (x − μ) / sqrt(σ² + eps) · weight + bias. layer_norm is one fused op (a pass per row,
// the gradients written by hand, one tape node); layer_norm_composite composes mean, sub, mul, add and pow and is
// the reference tests hold the fused op to (tests/unit/ops/normalization_test.cpp).
// Shapes: x [..., *normalized_shape], weight and bias normalized_shape (either may be undefined); out = x.shape.
// Throws attend::Error naming both shapes when x does not end with normalized_shape or weight/bias differ from it.
//   Var y = layer_norm(x, {C}, gamma, beta);          // x [B, T, C], gamma [C], beta [C]
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

Var layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight = Var(), const Var& bias = Var(),
               double eps = 1e-5);
Var layer_norm_composite(const Var& x, const Shape& normalized_shape, const Var& weight = Var(),
                         const Var& bias = Var(), double eps = 1e-5);

}  // namespace attend
