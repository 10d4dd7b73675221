// No-grad matrix products through OpenBLAS (cblas_sgemm / cblas_dgemm).
//
// Transposed views are passed to BLAS as transposes, not copied: matmul(a, b.transpose(-1, -2)) calls gemm with
// CblasTrans on b. Only operands whose last two dims are neither row- nor column-contiguous are copied first.
//   Tensor y = matmul(x, w.transpose(0, 1));   // x [N, in], w [out, in] -> y [N, out]
#pragma once

#include "attend/tensor/tensor.hpp"

namespace attend {

/// torch.matmul semantics: a [..., M, K] @ b [..., K, N] -> [..., M, N], batch dims broadcast; a 1-D a is [1, K]
/// with that dim removed from the result, a 1-D b is [K, 1] likewise. Both operands f32 or both f64.
Tensor matmul(const Tensor& a, const Tensor& b);

/// c = alpha · a @ b + beta · c for 2-D a [M, K], b [K, N] and a contiguous c [M, N] (accumulating into c).
void gemm_into(const Tensor& a, const Tensor& b, const Tensor& c, double alpha = 1.0, double beta = 0.0);

}  // namespace attend
