// Layer normalisation (Ba et al. 2016), as torch.nn.functional.layer_norm (src/ops/normalization.cpp).
//
// Normalises over the last normalized_shape.size() dims with the biased variance, then scales and shifts.
// Shapes: x [..., *normalized_shape], weight and bias normalized_shape (either may be undefined).
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

Var layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight = Var(), const Var& bias = Var(),
               double eps = 1e-5);

}  // namespace attend
