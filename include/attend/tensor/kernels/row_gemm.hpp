// row_gemm: C[M, N] (+)= A[M, K] · B[K, N] for the small-M products of recurrent time steps (M = the batch rows
// still running, N and K a few hundred to a few thousand), f32, row-major with leading dimensions.
//
// Why not OpenBLAS: at M = 32, sgemm repacks the whole B (the 4 MiB recurrent weight of a 512-wide LSTM) on every
// call, and ~30% of an LSTM training step went to its copy routines (perf). Here B is read in place, one 64-column
// panel at a time, and each panel is reused from L2 by every 6-row block of A (A itself, 32 × K, stays in L1/L2);
// the register-blocked AVX-512 micro-kernel is the flash-attention tiles' (kernels/flash_tiles_avx512.hpp).
// Without AVX-512, row_gemm runs row_gemm_naive, the reference a unit test checks it against.
//
// Determinism: every C element is computed by one thread with its K sum in order; threads split the column panels,
// so results are bitwise equal for any thread count (and equal to the naive loops only to rounding: FMA).
//
//   row_gemm(n, 4 * H, H, h, H, w_hh_t, 4 * H, gh, 4 * H, true);   // gh [n, 4H] += h [n, H] · W_hhᵀ [H, 4H]
#pragma once

#include <cstdint>

namespace attend::kernels {

/// C = A·B, or C += A·B when accumulate. A(i, k) = A[i·lda + k], B(k, j) = B[k·ldb + j], C(i, j) = C[i·ldc + j].
void row_gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
              int64_t ldc, bool accumulate);

/// The reference: plain loops, K summed in order.
void row_gemm_naive(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float* C, int64_t ldc, bool accumulate);

}  // namespace attend::kernels
