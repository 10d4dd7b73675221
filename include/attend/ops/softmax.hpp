// Differentiable softmax and log_softmax along one dim (src/ops/softmax.cpp; no-grad math in tensor/softmax, row
// kernels in tensor/kernels/softmax).
//
// The row max is subtracted before exp. A row whose entries are all -inf (every key masked) gives softmax 0,
// log_softmax 0, and gradient 0: never NaN. dim may be negative; out of range throws attend::Error naming the shape.
// Shapes: out = x.shape.
//   Var weights = softmax(masked_fill(scores, drop, -INFINITY), -1);    // [B, Tq, Tk]
//   Var logp = log_softmax(logits, -1);                                // [B, T, V]
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

/// exp(x − max) / Σ exp(x − max) along dim; dx = y ⊙ (dy − Σ dy ⊙ y).
Var softmax(const Var& x, int64_t dim);
/// Softmax over the first lengths[b] keys of every row of item b, 0 beyond (tensor/softmax.hpp's length_softmax):
/// the key-lengths mask and the softmax in one node. x [B, ..., T], lengths i64 [B]; dx = y ⊙ (dy − Σ dy ⊙ y).
Var length_softmax(const Var& x, const Tensor& lengths);
/// x − logsumexp(x) along dim; dx = dy − softmax(x) Σ dy.
Var log_softmax(const Var& x, int64_t dim);

}  // namespace attend
