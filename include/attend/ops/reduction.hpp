// Differentiable reductions over dims (forward and backward in src/ops/reduction.cpp; no-grad math in tensor/reduce).
//
// `dims` may be negative and must be distinct; an empty list reduces over every dim. keepdim keeps reduced dims with
// extent 1. Sums accumulate in f64 in a fixed order, so results do not depend on the thread count.
// Shapes: x [..] -> x.shape with the reduced dims removed (or set to 1 with keepdim); sum(x) and mean(x) give [].
// Errors (attend::Error, naming the op and the shape): a dim out of range or listed twice, a non-floating x, mean or
// max over zero elements.
//   Var loss = mean(sum(mul(d, d), {-1}));          // [B, T, C] -> [B, T] -> []
//   Var best = max(scores, -1);                     // [B, T, V] -> [B, T]
#pragma once

#include <vector>

#include "attend/autograd/var.hpp"

namespace attend {

/// Σ over dims; the gradient is the output gradient broadcast back over the reduced dims.
Var sum(const Var& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// Sum of every element, a 0-d Var.
Var sum(const Var& x);
/// Σ / count over dims; the gradient is the output gradient / count, broadcast back.
Var mean(const Var& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// Mean of every element, a 0-d Var.
Var mean(const Var& x);
/// Largest value along one dim; the gradient goes to the first index holding the max (as torch.max(dim)).
Var max(const Var& x, int64_t dim, bool keepdim = false);
/// log Σ exp over dims, stable (the max is subtracted); gradient softmax(x) over those dims.
/// An all -inf slice gives -inf and gradient 0.
Var logsumexp(const Var& x, const std::vector<int64_t>& dims, bool keepdim = false);

}  // namespace attend
