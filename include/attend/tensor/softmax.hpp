// No-grad softmax and log_softmax along one dim, and their backward formulas, on Tensors (src/tensor/softmax.cpp).
//
// The dim is moved last (copied only when it is not the contiguous last dim) and each row is computed by one thread:
// f32 rows by tensor/kernels/softmax (a naive loop and an AVX-512 kernel, same results to 1e-6 relative), f64 rows
// by a plain double loop. The row max is subtracted; a row of all -inf gives zeros (softmax and log_softmax alike)
// and a zero gradient. Results are new contiguous tensors of x's shape and dtype (f32 or f64).
//   Tensor p = softmax(scores, -1);                          // [B, Tq, Tk]
//   Tensor dx = softmax_backward(dp, p, -1);                 // [B, Tq, Tk]
#pragma once

#include "attend/tensor/tensor.hpp"

namespace attend {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
/// Softmax along the last dim over the first lengths[b] entries of every row of batch item b; the rest of each row
/// is 0 (a row with length 0 is all 0). The same numbers as softmax(x with -inf beyond the lengths, -1), without
/// building the mask. x [B, ..., T] f32 or f64, lengths i64 [B] with 0 ≤ lengths[b] ≤ T; throws naming the shapes
/// or the bad length otherwise. Its backward is softmax_backward(dy, y, -1): y is 0 beyond the lengths.
Tensor length_softmax(const Tensor& x, const Tensor& lengths);
/// dx = y ⊙ (dy − Σ dy ⊙ y) along dim, y = softmax(x). grad_y and y must have one shape and dtype.
Tensor softmax_backward(const Tensor& grad_y, const Tensor& y, int64_t dim);
/// dx = dy − exp(y) Σ dy along dim, y = log_softmax(x); zero on all -inf rows (recognised as rows of y that are
/// all 0, which no other row of two or more entries can produce).
Tensor log_softmax_backward(const Tensor& grad_y, const Tensor& y, int64_t dim);

}  // namespace attend
