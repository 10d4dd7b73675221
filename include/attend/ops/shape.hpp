// Differentiable shape and indexing ops (src/ops/shape.cpp and src/ops/indexing.cpp).
//
// Views (reshape, transpose, permute, narrow, expand, unsqueeze, squeeze) share storage with their input in the
// forward; their gradients are the inverse view. Shapes are given per function.
#pragma once

#include <vector>

#include "attend/autograd/var.hpp"

namespace attend {

Var reshape(const Var& x, const Shape& shape);
Var transpose(const Var& x, int64_t d0, int64_t d1);
Var permute(const Var& x, const std::vector<int64_t>& dims);
/// Elements [start, start + length) of dim d.
Var narrow(const Var& x, int64_t dim, int64_t start, int64_t length);
/// Index i of dim d (that dim removed).
Var select(const Var& x, int64_t dim, int64_t index);
Var expand(const Var& x, const Shape& shape);
Var unsqueeze(const Var& x, int64_t dim);
Var squeeze(const Var& x, int64_t dim);
/// Joins along an existing dim; all other extents must match.
Var concat(const std::vector<Var>& xs, int64_t dim);
/// Joins along a new dim; all shapes must match.
Var stack(const std::vector<Var>& xs, int64_t dim);
/// Pieces of `size` along dim (the last may be shorter).
std::vector<Var> split(const Var& x, int64_t size, int64_t dim);
/// `chunks` pieces of (nearly) equal size along dim, as torch.chunk.
std::vector<Var> chunk(const Var& x, int64_t chunks, int64_t dim);
/// Rows of x along dim picked by `index` (i64, 1-D): the embedding lookup is index_select(weight, 0, ids).
/// The backward scatter-adds into the picked rows. Out-of-range ids throw naming the id and the extent.
Var index_select(const Var& x, int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] along dim (torch.gather); index i64 of x's rank.
Var gather(const Var& x, int64_t dim, const Tensor& index);
/// x where mask (u8, broadcast to x) is 0, `value` where it is 1.
Var masked_fill(const Var& x, const Tensor& mask, double value);
/// cond (u8, broadcast) ? a : b.
Var where(const Tensor& cond, const Var& a, const Var& b);

}  // namespace attend
