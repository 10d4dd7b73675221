// row_gemm: C[M, N] (+)= A[M, K] · B[K, N] for the small-M products of recurrent time steps (M = the batch rows
// still running, N and K a few hundred to a few thousand), f32, with B packed once and reused over all steps.
//
// Why not OpenBLAS: at M = 32, sgemm repacks the whole B (the 4 MiB recurrent weight of a 512-wide LSTM) on every
// call, and ~30% of an LSTM training step went to its copy routines (perf). Here B is packed once per layer call
// into 64-column panels, each [K, 64] contiguous: a panel (128 KiB at K = 512) stays in L2 while every 6-row block of
// A uses it (reading B in place instead, with its power-of-two row stride, thrashed a few L2 sets). The
// register-blocked AVX-512 micro-kernel is the flash-attention tiles' (kernels/flash_tiles_avx512.hpp). Without
// AVX-512 the panels go through plain loops; row_gemm_naive (unpacked B) is the reference a unit test checks against.
//
// Determinism: every C element is computed by one thread with its K sum in order; threads split the column panels,
// so results are bitwise equal for any thread count (and equal to the naive loops only to rounding: FMA).
//
//   std::vector<float> wt(row_gemm_packed_size(H, 4 * H));
//   row_gemm_pack(H, 4 * H, w_hh, 1, H, wt.data());           // B = W_hhᵀ: B(k, j) = w_hh[j·H + k]
//   row_gemm(n, 4 * H, H, h, H, wt.data(), gh, 4 * H, true);  // gh [n, 4H] += h [n, H] · W_hhᵀ [H, 4H]
#pragma once

#include <cstdint>

namespace attend::kernels {

/// Columns per packed panel: columns [j0, N) with j0 a multiple of it are the panels from packed + K·j0 on.
inline constexpr int64_t kRowGemmPanel = 64;

/// Floats of B [K, N] packed: ceil(N / 64) panels of K × 64.
int64_t row_gemm_packed_size(int64_t K, int64_t N);

/// Packs B(k, j) = B[k·rs + j·cs] (any strides: B or a transposed view) into `out` (row_gemm_packed_size floats);
/// the columns past N of the last panel are zero.
void row_gemm_pack(int64_t K, int64_t N, const float* B, int64_t rs, int64_t cs, float* out);

/// C = A·B, or C += A·B when accumulate, with B packed by row_gemm_pack. A(i, k) = A[i·lda + k],
/// C(i, j) = C[i·ldc + j]; C's columns past N are not touched.
void row_gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* packed_b, float* C,
              int64_t ldc, bool accumulate);

/// Whether row_gemm runs the AVX-512 tiles (else plain loops: slower than BLAS).
bool row_gemm_vectorized();

/// The reference, on B unpacked (B(k, j) = B[k·ldb + j]): plain loops, K summed in order.
void row_gemm_naive(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float* C, int64_t ldc, bool accumulate);

}  // namespace attend::kernels
