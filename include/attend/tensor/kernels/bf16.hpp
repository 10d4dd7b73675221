// bf16 (bfloat16: f32's sign and exponent, 7 mantissa bits) products for the fused attention's bf16 option
// (FlashAttentionProblem::bf16): rounding f32 to bf16 as the hardware converts, and a GEMM whose inputs are rounded to
// bf16 and whose sums stay f32, with its reference.
//
// round_bf16 is VCVTNE2PS2BF16's conversion: round to nearest, ties to even; a denormal input becomes a zero of its
// sign; a NaN stays a (quiet) NaN; values past bf16's largest round to ±inf.
//
// bf16_gemm: C[M, N] (+)= Σ_k bf16(A(i, k)) · bf16(B(k, j)). A product of two bf16 is exact in f32; k runs in pairs
// (2p, 2p + 1) and each pair is added as VDPBF16PS adds it, the odd product first: c = (c + a₂ₚ₊₁b₂ₚ₊₁) + a₂ₚb₂ₚ, each
// add rounded to f32 (an odd K ends with a pair whose odd half is 0). bf16_gemm_naive is that sum in plain loops;
// bf16_gemm runs the AVX512-BF16 tiles (kernels/bf16_tiles_avx512.hpp) where bf16_available(), else the naive loops,
// and the two are bitwise equal (a unit test holds them so). One thread; the attention kernel calls the tiles itself.
//
//   float r = round_bf16(x);                                  // x's nearest bf16, as an f32
//   bf16_gemm(M, N, K, a, K, b, N, c, N, false);              // c [M, N] = bf16(a) [M, K] · bf16(b) [K, N]
#pragma once

#include <cstdint>

namespace attend::kernels {

/// The 16 bits of x rounded to bf16 (the high half of the f32 it stands for).
uint16_t bf16_bits(float x);

/// x rounded to bf16, as an f32.
float round_bf16(float x);

/// True when this CPU has AVX512-BF16 (VCVTNE2PS2BF16, VDPBF16PS) besides AVX-512 F/BW/DQ/VL (checked once).
bool bf16_available();

/// C (+)= bf16(A) · bf16(B), A(i, k) = A[i·lda + k], B(k, j) = B[k·ldb + j], C(i, j) = C[i·ldc + j].
void bf16_gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
               int64_t ldc, bool accumulate);

/// The reference: the same sums in plain loops.
void bf16_gemm_naive(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                     float* C, int64_t ldc, bool accumulate);

}  // namespace attend::kernels
