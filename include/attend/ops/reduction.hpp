// Differentiable reductions over dims (forward and backward in src/ops/reduction.cpp).
//
// `dims` may be negative; an empty list reduces over every dim. keepdim keeps reduced dims with extent 1.
// Shapes: x [..] -> x with the reduced dims removed (or 1 with keepdim).
//   Var loss = mean(sum(sq, {-1}));
#pragma once

#include <vector>

#include "attend/autograd/var.hpp"

namespace attend {

Var sum(const Var& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// Sum of every element, a 0-d Var.
Var sum(const Var& x);
Var mean(const Var& x, const std::vector<int64_t>& dims, bool keepdim = false);
Var mean(const Var& x);
/// Largest value along one dim; the gradient goes to the first index holding the max (as torch.max(dim)).
Var max(const Var& x, int64_t dim, bool keepdim = false);
/// log Σ exp over dims, stable; gradient softmax(x) over those dims. All -inf slices give -inf and gradient 0.
Var logsumexp(const Var& x, const std::vector<int64_t>& dims, bool keepdim = false);

}  // namespace attend
