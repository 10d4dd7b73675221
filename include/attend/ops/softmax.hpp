// Differentiable softmax and log_softmax along one dim (src/ops/softmax.cpp; kernels in tensor/kernels/softmax).
//
// The row max is subtracted before exp. A row whose entries are all -inf (every key masked) gives softmax 0,
// log_softmax 0, and gradient 0: never NaN. Shapes: out = x.shape.
//   Var weights = softmax(masked_fill(scores, drop, -INFINITY), -1);    // [B, Tq, Tk]
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

Var softmax(const Var& x, int64_t dim);
Var log_softmax(const Var& x, int64_t dim);

}  // namespace attend
