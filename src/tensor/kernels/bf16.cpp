// bf16 rounding and the bf16 GEMM (include/attend/tensor/kernels/bf16.hpp): the naive loops, and the AVX512-BF16
// tiles on A and B packed into pairs.
#include "attend/tensor/kernels/bf16.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "bf16_tiles_avx512.hpp"
#include "softmax_avx512.hpp"

namespace attend::kernels {

uint16_t bf16_bits(float x) {
  uint32_t u = 0;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7F800000U) == 0x7F800000U && (u & 0x007FFFFFU) != 0)
    return static_cast<uint16_t>((u >> 16) | 0x0040U);  // NaN: quiet, the sign and high payload kept
  if ((u & 0x7F800000U) == 0) return static_cast<uint16_t>((u >> 16) & 0x8000U);  // zero or denormal: ±0
  return static_cast<uint16_t>((u + 0x7FFFU + ((u >> 16) & 1U)) >> 16);  // nearest, ties to even (carries to inf)
}

float round_bf16(float x) {
  const uint32_t u = static_cast<uint32_t>(bf16_bits(x)) << 16;
  float r = 0.0F;
  std::memcpy(&r, &u, sizeof r);
  return r;
}

bool bf16_available() {
  static const bool ok = detail::avx512_available() && __builtin_cpu_supports("avx512bf16");
  return ok;
}

void bf16_gemm_naive(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                     float* C, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      float c = accumulate ? C[i * ldc + j] : 0.0F;
      for (int64_t k = 0; k < K; k += 2) {
        if (k + 1 < K) c += round_bf16(A[i * lda + k + 1]) * round_bf16(B[(k + 1) * ldb + j]);  // the odd one first
        c += round_bf16(A[i * lda + k]) * round_bf16(B[k * ldb + j]);
      }
      C[i * ldc + j] = c;
    }
}

namespace {

ATTEND_BF16_AVX512 void gemm_tiles(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                                   int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  const int64_t K2 = (K + 1) / 2;
  std::vector<uint32_t> a2(static_cast<size_t>(M * K2)), b2(static_cast<size_t>(K2 * N));
  for (int64_t i = 0; i < M; ++i) detail::bf16::pack_row_pairs(A + i * lda, K, 1.0F, a2.data() + i * K2);
  for (int64_t p = 0; p < K2; ++p)
    detail::bf16::interleave_rows(B + 2 * p * ldb, 2 * p + 1 < K ? B + (2 * p + 1) * ldb : nullptr, N,
                                  b2.data() + p * N);
  detail::bf16::gemm(M, N, K2, a2.data(), K2, 1, b2.data(), N, C, ldc, accumulate);
}

}  // namespace

void bf16_gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
               int64_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || !bf16_available()) {
    bf16_gemm_naive(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  } else {
    gemm_tiles(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
  }
}

}  // namespace attend::kernels
