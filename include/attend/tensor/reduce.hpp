// No-grad reductions over dims (the differentiable versions are in ops/reduction.hpp).
//
// `dims` may be negative and must be distinct; an empty `dims` reduces over every dim. keepdim keeps reduced dims
// with extent 1. Sums of f32 accumulate in f64 and every output element is reduced by one thread in index order, so
// results are bitwise independent of the thread count.
//   Tensor row_sums = sum(x, {-1});           // [B, T, C] -> [B, T]
//   Tensor g = sum_to(grad, bias.shape());    // undo broadcasting: [B, T, C] -> [C]
#pragma once

#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend {

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// Largest value over dims (NaN propagates).
Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// log Σ exp over dims, stable (the max is subtracted); a slice of all -inf gives -inf.
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// Index (i64) of the first largest value along one dim.
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);

/// Sum of all elements as a 0-d tensor.
inline Tensor sum(const Tensor& x) { return sum(x, {}, false); }
inline Tensor mean(const Tensor& x) { return mean(x, {}, false); }

/// Reduces a broadcast result back to `shape` (sums over the dims that broadcasting expanded). The reverse of
/// expand(); used by every backward of a broadcasting op. Throws when `shape` does not broadcast to x.shape().
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace attend
