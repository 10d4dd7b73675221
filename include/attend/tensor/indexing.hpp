// No-grad joins and index-driven copies on Tensors (the differentiable versions on Var are in ops/shape.hpp).
//
// These are the forward and backward kernels of concat, index_select (the embedding lookup), gather and masked_fill.
// Indices are i64 and masks u8; any other dtype throws. An index outside [0, extent) throws an attend::Error that
// names the op, the bad index, its position in the index tensor and the extent. Each output element is written by
// exactly one thread in a fixed order, so the scatter-adds (index_add_, scatter_add_) are bitwise deterministic
// whatever the thread count.
//
// Shapes, with x viewed as [outer, D, inner] around dim:
//   index_select(x [.., D, ..], dim, index [N])        -> [.., N, ..]
//   index_add_(dst [.., D, ..], dim, index [N], src [.., N, ..])   dst[.., index[i], ..] += src[.., i, ..]
//   gather(x, dim, index)                             -> index.shape, out[p] = x[p with p[dim] = index[p]]
//   scatter_add_(dst, dim, index, src [index.shape])   dst[p with p[dim] = index[p]] += src[p]
// Usage:
//   Tensor rows = index_select(weight, 0, ids);          // [V, C], ids [N] -> [N, C]
//   Tensor grad = Tensor::zeros(weight.shape());
//   index_add_(grad, 0, ids, grad_rows);                 // repeated ids accumulate, in index order
#pragma once

#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend {

/// Joins tensors of one dtype along an existing dim; every other extent must match. Returns a new contiguous tensor.
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);

/// Slices of x along dim picked by a 1-D i64 index (repeats allowed). Dim 0 of a contiguous matrix copies whole rows.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);

/// In place: dst[.., index[i], ..] += src[.., i, ..] along dim, i in increasing order. dst must be contiguous;
/// src has dst's shape with extent index.numel() at dim. Floating dtypes only.
void index_add_(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src);

/// torch.gather: out has index's shape (same rank as x, index.size(d) <= x.size(d) for d != dim).
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);

/// In place, torch.scatter_add_: dst[p with p[dim] = index[p]] += src[p] for every position p of index.
/// dst must be contiguous; src has at least index's extents. Floating dtypes only.
void scatter_add_(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src);

/// A copy of x with `value` wherever mask (u8, broadcast to x's shape) is non-zero.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

}  // namespace attend
