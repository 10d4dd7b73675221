// Private to tensor/kernels: the AVX512-BF16 tiles of the bf16 products (include/attend/tensor/kernels/bf16.hpp):
// the packings that round f32 to bf16 pairs and a register-blocked GEMM on them, shaped like flash::gemm (6 rows ×
// up to 64 columns of f32 accumulators) but taking two k per instruction (VDPBF16PS). Functions carry
// ATTEND_BF16_AVX512; call them only when bf16_available().
//
// Pair layouts (one uint32_t = two bf16, the lower k in the low half):
//   rows:        A2[i·lda + p] = (A(i, 2p), A(i, 2p + 1))      pack_row_pairs: pairs along a row
//   interleaved: B2[p·ldb + j] = (B(2p, j), B(2p + 1, j))      interleave_rows: two rows into one
// An odd K's last pair has a 0 in its high half (on both sides, so that the missing product is 0·0).
#pragma once

#include "flash_tiles_avx512.hpp"

#define ATTEND_BF16_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16")))

namespace attend::kernels::detail::bf16 {

using flash::first_lanes;
using flash::kLanes;

// 16 f32 lanes of x (the lanes past n are 0) times s, rounded to bf16 pairs with the lanes of y: cvtne2ps puts x's 16
// bf16 in the low half and y's in the high half.
ATTEND_BF16_AVX512 inline __m512i round_two(__m512 x, __m512 y) { return (__m512i)_mm512_cvtne2ps_pbh(y, x); }

// dst[p] = (row[2p]·s, row[2p + 1]·s) in bf16 for p < ceil(n / 2) (row[n] read as 0 when n is odd).
ATTEND_BF16_AVX512 inline void pack_row_pairs(const float* row, int64_t n, float s, uint32_t* dst) {
  const __m512 sv = _mm512_set1_ps(s);
  for (int64_t c = 0; c < n; c += 2 * kLanes) {
    const __mmask16 lo = first_lanes(std::clamp<int64_t>(n - c, 0, kLanes));
    const __mmask16 hi = first_lanes(std::clamp<int64_t>(n - c - kLanes, 0, kLanes));
    const __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(lo, row + c), sv);
    const __m512 y = _mm512_mul_ps(_mm512_maskz_loadu_ps(hi, row + c + kLanes), sv);
    const int64_t pairs = std::min<int64_t>(kLanes, (n - c + 1) / 2);
    _mm512_mask_storeu_epi32(dst + c / 2, first_lanes(pairs), round_two(x, y));
  }
}

// dst[j] = (a[j], b[j]) in bf16 for j < n; b null reads as 0.
ATTEND_BF16_AVX512 inline void interleave_rows(const float* a, const float* b, int64_t n, uint32_t* dst) {
  // 16-bit lane 2j takes a's bf16 j (lane j of round_two), lane 2j + 1 takes b's (lane 16 + j)
  const __m512i order = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  for (int64_t j = 0; j < n; j += kLanes) {
    const __mmask16 m = first_lanes(std::min(kLanes, n - j));
    const __m512 x = _mm512_maskz_loadu_ps(m, a + j);
    const __m512 y = b != nullptr ? _mm512_maskz_loadu_ps(m, b + j) : _mm512_setzero_ps();
    _mm512_mask_storeu_epi32(dst + j, m, _mm512_permutexvar_epi16(order, round_two(x, y)));
  }
}

// C[R, 16·NV] (+)= Σ_p A2(r, p) · B2[p, :], A2(r, p) = A[r·ars + p·acs] broadcast (a pair), B2 rows of ldb pairs;
// the last vector of each row is limited to the lanes in `last`. flash::micro with pairs: per p, NV loads of B
// (held in registers, see there), R broadcasts, R·NV VDPBF16PS. p runs in order: every sum has a fixed order.
template <int R, int NV>
ATTEND_BF16_AVX512 void micro(int64_t K2, const uint32_t* A, int64_t ars, int64_t acs, const uint32_t* B, int64_t ldb,
                              float* C, int64_t ldc, __mmask16 last, bool accumulate) {
  __m512 c[R][NV];
  flash::load_accumulators<R, NV>(c, C, ldc, last, accumulate);
  for (int64_t k = 0; k < K2; ++k) {
    const uint32_t* b = B + k * ldb;
    __m512i bv[NV];
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; ++v) {
      bv[v] = _mm512_maskz_loadu_epi32(v == NV - 1 ? last : __mmask16(0xFFFF), b + kLanes * v);
      asm("" : "+v"(bv[v]));
    }
    const uint32_t* a = A + k * acs;
    _Pragma("GCC unroll 8") for (int r = 0; r < R; ++r) {
      const __m512i av = _mm512_set1_epi32(static_cast<int>(a[r * ars]));
      _Pragma("GCC unroll 4") for (int v = 0; v < NV; ++v) c[r][v] =
          _mm512_dpbf16_ps(c[r][v], (__m512bh)av, (__m512bh)bv[v]);
    }
  }
  flash::store_accumulators<R, NV>(c, C, ldc, last);
}

using MicroFn = void (*)(int64_t, const uint32_t*, int64_t, int64_t, const uint32_t*, int64_t, float*, int64_t,
                         __mmask16, bool);

// C[M, N] (+)= A2(M, K2) · B2[K2, N]; flash::gemm's blocking (the fewest blocks of at most 6 rows, 64 columns).
ATTEND_BF16_AVX512 inline void gemm(int64_t M, int64_t N, int64_t K2, const uint32_t* A, int64_t ars, int64_t acs,
                                    const uint32_t* B, int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  static const MicroFn table[flash::kMicroRows][4] = {{micro<1, 1>, micro<1, 2>, micro<1, 3>, micro<1, 4>},
                                                      {micro<2, 1>, micro<2, 2>, micro<2, 3>, micro<2, 4>},
                                                      {micro<3, 1>, micro<3, 2>, micro<3, 3>, micro<3, 4>},
                                                      {micro<4, 1>, micro<4, 2>, micro<4, 3>, micro<4, 4>},
                                                      {micro<5, 1>, micro<5, 2>, micro<5, 3>, micro<5, 4>},
                                                      {micro<6, 1>, micro<6, 2>, micro<6, 3>, micro<6, 4>}};
  flash::for_tiles(M, N, [&](int64_t i0, int64_t r, int64_t j0, int64_t nv, __mmask16 last) {
    table[r - 1][nv - 1](K2, A + i0 * ars, ars, acs, B + j0, ldb, C + i0 * ldc + j0, ldc, last, accumulate);
  });
}

}  // namespace attend::kernels::detail::bf16
