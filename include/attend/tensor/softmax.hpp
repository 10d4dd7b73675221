// No-grad softmax and log_softmax along one dim, and their backward formulas, on Tensors.
//
// Rows along `dim` are processed by tensor/kernels/softmax (a naive loop and an AVX-512 kernel, same results to
// 1e-6 relative). A row of all -inf gives zeros (softmax and log_softmax alike).
#pragma once

#include "attend/tensor/tensor.hpp"

namespace attend {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
/// dx = y ⊙ (dy − Σ dy ⊙ y) along dim, y = softmax(x).
Tensor softmax_backward(const Tensor& grad_y, const Tensor& y, int64_t dim);
/// dx = dy − softmax(x) Σ dy along dim, y = log_softmax(x); zero on all -inf rows.
Tensor log_softmax_backward(const Tensor& grad_y, const Tensor& y, int64_t dim);

}  // namespace attend
