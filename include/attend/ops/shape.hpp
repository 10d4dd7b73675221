// Differentiable shape and indexing ops (views and joins in src/ops/shape.cpp, indexing in src/ops/indexing.cpp).
//
// Views (reshape where the strides allow, transpose, permute, narrow, select, expand, unsqueeze, squeeze) share
// storage with their input, like torch; their gradient is the inverse view of the output gradient. Slices (narrow,
// select, the pieces of split and chunk) send back only the gradient of their slice, which the engine adds into the
// input's gradient in place (Grads::set_slice), so per-step slices of a sequence cost O(slice) in backward. Joins (concat, stack) copy; each input's gradient is a view of the output gradient.
// The index ops take an i64 index tensor and u8 masks (other dtypes throw); their backward scatter-adds in a fixed
// order, so gradients are bitwise independent of the thread count. Every error names the op, the argument and the
// shapes; an index out of range names the index, its position and the extent.
//
// Usage:
//   Var x = index_select(embedding, 0, ids);                 // [V, C], ids [B·T] -> [B·T, C]
//   Var h = reshape(x, {B, T, C});                            // [B, T, C]
//   auto gates = chunk(linear(h, w, b), 4, -1);               // 4 × [B, T, H]
//   Var scores = masked_fill(s, pad_mask, -INFINITY);         // pad_mask u8 [B, 1, Tk]
#pragma once

#include <vector>

#include "attend/autograd/var.hpp"

namespace attend {

/// x with a new shape of the same numel (one extent may be -1); a view when the strides allow, else a copy.
Var reshape(const Var& x, const Shape& shape);
/// Swaps dims d0 and d1 (a view).
Var transpose(const Var& x, int64_t d0, int64_t d1);
/// Output dim i is input dim dims[i] (a view).
Var permute(const Var& x, const std::vector<int64_t>& dims);
/// Elements [start, start + length) of dim d (a view).
Var narrow(const Var& x, int64_t dim, int64_t start, int64_t length);
/// Index i of dim d, that dim removed (a view; negative i counts from the end).
Var select(const Var& x, int64_t dim, int64_t index);
/// Broadcasts extents of 1 and new leading dims to `shape` (a view with stride 0); the gradient sums the copies.
Var expand(const Var& x, const Shape& shape);
/// A new extent-1 dim at `dim`.
Var unsqueeze(const Var& x, int64_t dim);
/// Removes dim `dim`, which must have extent 1.
Var squeeze(const Var& x, int64_t dim);
/// Joins along an existing dim; all other extents and the dtypes must match. [.., n_k, ..] -> [.., Σ n_k, ..].
Var concat(const std::vector<Var>& xs, int64_t dim);
/// Joins along a new dim; all shapes must match. k × [..] -> [.., k, ..] with the k at `dim`.
Var stack(const std::vector<Var>& xs, int64_t dim);
/// Pieces of `size` along dim (the last may be shorter), as torch.split. Each piece's backward writes a full-size
/// gradient of x, so splitting into n pieces costs n · x.numel() in the backward: prefer chunk for a few pieces.
std::vector<Var> split(const Var& x, int64_t size, int64_t dim);
/// Pieces of ceil(extent / chunks) along dim, as torch.chunk (fewer than `chunks` when the extent runs out).
std::vector<Var> chunk(const Var& x, int64_t chunks, int64_t dim);
/// Slices of x along dim picked by `index` (i64, 1-D, repeats allowed): the embedding lookup is
/// index_select(weight, 0, ids), [V, C] -> [N, C]. The backward adds each picked slice's gradient into its row.
Var index_select(const Var& x, int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] for dim 1 (torch.gather); index i64 of x's rank, output of index's shape.
Var gather(const Var& x, int64_t dim, const Tensor& index);
/// x where mask (u8, broadcast to x's shape) is 0, `value` where it is non-zero; filled elements get no gradient.
Var masked_fill(const Var& x, const Tensor& mask, double value);
/// cond (u8) ? a : b, all three broadcast together; a and b have one floating dtype.
Var where(const Tensor& cond, const Var& a, const Var& b);

}  // namespace attend
