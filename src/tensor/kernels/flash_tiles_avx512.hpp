// Private to tensor/kernels: the AVX-512 building blocks of the flash-attention tiles: a register-blocked GEMM on
// small tiles (6 rows × up to 64 columns of accumulators, any K, masked column tails), the vectorised exp, and the
// masking of a transposed score tile. Every function that touches a 512-bit vector carries ATTEND_FLASH_AVX512, so
// builds without -march=native compile (the dispatch only calls them on AVX-512 CPUs).
#pragma once

// GCC 12's avx512fintrin.h builds some intrinsics on a deliberately undefined vector; -W(maybe-)uninitialized
// reports that at every use (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "attend/tensor/kernels/flash_attention.hpp"
#include "philox_avx512.hpp"

#define ATTEND_FLASH_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

namespace attend::kernels::detail::flash {

constexpr int64_t kLanes = 16;
constexpr float kInfF = std::numeric_limits<float>::infinity();

inline int64_t round_lanes(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

ATTEND_FLASH_AVX512 inline __mmask16 first_lanes(int64_t n) {  // n in [0, 16]
  return static_cast<__mmask16>((1U << static_cast<unsigned>(n)) - 1U);
}

// e^d (Cody-Waite reduction, degree-5 polynomial, scalef; the softmax kernel's exp): -inf and d < -150 give 0.
ATTEND_FLASH_AVX512 inline __m512 exp_ps(__m512 d) {
  const __m512 x = _mm512_max_ps(_mm512_set1_ps(-150.0F), d);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341F)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375F), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4F), r);
  __m512 p = _mm512_set1_ps(8.290315046906471E-3F);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.189793020486832E-2F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.666763573884964E-1F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.999915063381195E-1F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(9.999997019767761E-1F));
  return _mm512_scalef_ps(_mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0F)), n);
}

// out[j·ldo + r] = in[r·ldi + j] · s for r, j < 16: a 16 × 16 block transposed in registers (unpack within 128-bit
// lanes, then shuffle the lanes), 64 shuffles where element-wise it took 256 extracts and stores.
ATTEND_FLASH_AVX512 inline void transpose16_scaled(const float* in, int64_t ldi, float s, float* out, int64_t ldo) {
  const __m512 sv = _mm512_set1_ps(s);
  __m512 a[16], c[16];
  for (int r = 0; r < 16; ++r) a[r] = _mm512_mul_ps(_mm512_loadu_ps(in + r * ldi), sv);
  for (int i = 0; i < 16; i += 4) {  // c[i + k], 128-bit lane L: column 4L + k of rows i .. i + 3
    const __m512 b0 = _mm512_unpacklo_ps(a[i], a[i + 1]), b1 = _mm512_unpackhi_ps(a[i], a[i + 1]);
    const __m512 b2 = _mm512_unpacklo_ps(a[i + 2], a[i + 3]), b3 = _mm512_unpackhi_ps(a[i + 2], a[i + 3]);
    c[i] = _mm512_shuffle_ps(b0, b2, 0x44);
    c[i + 1] = _mm512_shuffle_ps(b0, b2, 0xEE);
    c[i + 2] = _mm512_shuffle_ps(b1, b3, 0x44);
    c[i + 3] = _mm512_shuffle_ps(b1, b3, 0xEE);
  }
  for (int k = 0; k < 4; ++k) {  // column 4L + k = lane L of c[k], c[4 + k], c[8 + k], c[12 + k]
    const __m512 d0 = _mm512_shuffle_f32x4(c[k], c[4 + k], 0x44), d1 = _mm512_shuffle_f32x4(c[k], c[4 + k], 0xEE);
    const __m512 e0 = _mm512_shuffle_f32x4(c[8 + k], c[12 + k], 0x44);
    const __m512 e1 = _mm512_shuffle_f32x4(c[8 + k], c[12 + k], 0xEE);
    _mm512_storeu_ps(out + (0 + k) * ldo, _mm512_shuffle_f32x4(d0, e0, 0x88));
    _mm512_storeu_ps(out + (4 + k) * ldo, _mm512_shuffle_f32x4(d0, e0, 0xDD));
    _mm512_storeu_ps(out + (8 + k) * ldo, _mm512_shuffle_f32x4(d1, e1, 0x88));
    _mm512_storeu_ps(out + (12 + k) * ldo, _mm512_shuffle_f32x4(d1, e1, 0xDD));
  }
}

// tile[j·ldt + i] = src[i·ls + j] · s for i < rows, j < width: rows of a head packed as columns (each source row read
// in order; rows may be far apart, as in a head-split view). Whole 16 × 16 blocks go through registers, the rest
// element by element; the values are the same products either way.
ATTEND_FLASH_AVX512 inline void pack_transposed(const float* src, int64_t ls, int64_t rows, int64_t width, float s,
                                                float* tile, int64_t ldt) {
  const int64_t r16 = rows / kLanes * kLanes, w16 = width / kLanes * kLanes;
  for (int64_t i = 0; i < r16; i += kLanes)
    for (int64_t j = 0; j < w16; j += kLanes) transpose16_scaled(src + i * ls + j, ls, s, tile + j * ldt + i, ldt);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = i < r16 ? w16 : 0; j < width; ++j) tile[j * ldt + i] = src[i * ls + j] * s;
}

// The accumulators of a micro-kernel: c[r][v] = C's rows (the last vector limited to `last`), or 0; and back.
template <int R, int NV>
ATTEND_FLASH_AVX512 inline void load_accumulators(__m512 (&c)[R][NV], const float* C, int64_t ldc, __mmask16 last,
                                                  bool accumulate) {
  _Pragma("GCC unroll 8") for (int r = 0; r < R; ++r)
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; ++v)
      c[r][v] = accumulate ? _mm512_maskz_loadu_ps(v == NV - 1 ? last : __mmask16(0xFFFF), C + r * ldc + kLanes * v)
                           : _mm512_setzero_ps();
}
template <int R, int NV>
ATTEND_FLASH_AVX512 inline void store_accumulators(const __m512 (&c)[R][NV], float* C, int64_t ldc, __mmask16 last) {
  _Pragma("GCC unroll 8") for (int r = 0; r < R; ++r)
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; ++v)
      _mm512_mask_storeu_ps(C + r * ldc + kLanes * v, v == NV - 1 ? last : __mmask16(0xFFFF), c[r][v]);
}

// C[R, 16·NV] (+)= Σ_k A(r, k) B[k, :], A(r, k) = A[r·ars + k·acs] broadcast, B rows of ldb floats; the last vector
// of each row is limited to the lanes in `last`. Per k: NV vector loads of B held in registers (the empty asm keeps
// GCC from folding them back into every FMA as memory operands, which made the kernel load-bound) and R broadcasts
// for R·NV FMAs. The K loop runs in order, so every element's sum has a fixed order (the same as any R, NV).
template <int R, int NV>
ATTEND_FLASH_AVX512 void micro(int64_t K, const float* A, int64_t ars, int64_t acs, const float* B, int64_t ldb,
                               float* C, int64_t ldc, __mmask16 last, bool accumulate) {
  __m512 c[R][NV];
  load_accumulators<R, NV>(c, C, ldc, last, accumulate);
  for (int64_t k = 0; k < K; ++k) {
    const float* b = B + k * ldb;
    __m512 bv[NV];
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; ++v) {
      bv[v] = _mm512_maskz_loadu_ps(v == NV - 1 ? last : __mmask16(0xFFFF), b + kLanes * v);
      asm("" : "+v"(bv[v]));
    }
    const float* a = A + k * acs;
    _Pragma("GCC unroll 8") for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * ars]);
      _Pragma("GCC unroll 4") for (int v = 0; v < NV; ++v) c[r][v] = _mm512_fmadd_ps(av, bv[v], c[r][v]);
    }
  }
  store_accumulators<R, NV>(c, C, ldc, last);
}

using MicroFn = void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, __mmask16,
                         bool);

// Rows per micro-kernel call: R·NV accumulators + NV B vectors + 1 broadcast fit the 32 zmm registers.
constexpr int64_t kMicroRows = 6;

// The blocking of C [M, N] that gemm (and the bf16 tiles' gemm) use: column blocks of up to 64 and, in each, the
// fewest blocks of at most 6 rows, as even as they go (M = 32: 6 6 5 5 5 5, not 6 6 6 6 6 2: a 2-row block does 8
// FMAs per 4 vector loads of B and is bound by reading B from L2). tile(i0, rows, j0, vectors, last) for each, the
// last vector of a row limited to the lanes in `last`.
template <class Tile>
ATTEND_FLASH_AVX512 inline void for_tiles(int64_t M, int64_t N, Tile&& tile) {
  for (int64_t j0 = 0; j0 < N; j0 += 4 * kLanes) {
    const int64_t n = std::min<int64_t>(4 * kLanes, N - j0);
    const int64_t nv = (n + kLanes - 1) / kLanes;
    const __mmask16 last = first_lanes(n - kLanes * (nv - 1));
    const int64_t blocks = (M + kMicroRows - 1) / kMicroRows, base = blocks > 0 ? M / blocks : 0,
                  extra = blocks > 0 ? M % blocks : 0;
    for (int64_t blk = 0, i0 = 0; blk < blocks; ++blk) {
      const int64_t r = base + (blk < extra ? 1 : 0);
      tile(i0, r, j0, nv, last);
      i0 += r;
    }
  }
}

// C[M, N] (+)= A(M, K) · B[K, N] on tiles; see micro for the layouts.
ATTEND_FLASH_AVX512 inline void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t ars, int64_t acs,
                                     const float* B, int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  static const MicroFn table[kMicroRows][4] = {{micro<1, 1>, micro<1, 2>, micro<1, 3>, micro<1, 4>},
                                               {micro<2, 1>, micro<2, 2>, micro<2, 3>, micro<2, 4>},
                                               {micro<3, 1>, micro<3, 2>, micro<3, 3>, micro<3, 4>},
                                               {micro<4, 1>, micro<4, 2>, micro<4, 3>, micro<4, 4>},
                                               {micro<5, 1>, micro<5, 2>, micro<5, 3>, micro<5, 4>},
                                               {micro<6, 1>, micro<6, 2>, micro<6, 3>, micro<6, 4>}};
  for_tiles(M, N, [&](int64_t i0, int64_t r, int64_t j0, int64_t nv, __mmask16 last) {
    table[r - 1][nv - 1](K, A + i0 * ars, ars, acs, B + j0, ldb, C + i0 * ldc + j0, ldc, last, accumulate);
  });
}

// The end of the keys any query in [.., q_last] of batch item b may see (lengths and causal), at least 0.
inline int64_t key_end(const FlashAttentionProblem<float>& p, int64_t b, int64_t q_last) {
  int64_t e = p.key_lengths != nullptr ? p.key_lengths[b] : p.tk;
  if (p.causal) e = std::min(e, q_last + p.causal_offset + 1);
  return std::max<int64_t>(0, e);
}

// zt[j·ld + i] = the dropout factor of query q0 + i and key k0 + j (j < mk ≤ 64, i < nq), 0 in the lanes [nq, n16);
// zr is [64, 64] scratch. A query's keys are consecutive Philox words: 16 blocks at once (one more block when the
// row's first word is not block-aligned and spills past them), compared 16 at a time into the rows of zr, then
// packed transposed. The factors are those of DropoutFactors::row (the unit tests hold them equal).
ATTEND_FLASH_AVX512 inline void dropout_tile(const DropoutFactors& d, int64_t b, int64_t h, int64_t q0, int64_t nq,
                                             int64_t n16, int64_t k0, int64_t mk, float* zr, float* zt, int64_t ld) {
  alignas(64) uint32_t words[68];
  const bool drop_all = d.threshold() > 0xFFFFFFFFULL;
  const __m512i threshold = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(d.threshold())));
  const __m512 kept_value = _mm512_set1_ps(static_cast<float>(d.scale()));
  for (int64_t i = 0; i < nq; ++i) {
    const uint64_t first = d.index_of(b, h, q0 + i, k0), block0 = first / 4;
    const auto offset = static_cast<int64_t>(first % 4);
    philox_words64(d.rng(), block0, words);
    if (offset + mk > 64) {
      const auto extra = d.rng().block_at(block0 + 16);
      std::copy(extra.begin(), extra.end(), words + 64);
    }
    float* z = zr + i * 64;
    for (int64_t j = 0; j < mk; j += kLanes) {
      const __mmask16 lanes = first_lanes(std::min(kLanes, mk - j));
      const __m512i w = _mm512_maskz_loadu_epi32(lanes, words + offset + j);
      const __mmask16 kept = drop_all ? __mmask16(0) : _mm512_mask_cmpge_epu32_mask(lanes, w, threshold);
      _mm512_mask_storeu_ps(z + j, lanes, _mm512_maskz_mov_ps(kept, kept_value));
    }
  }
  pack_transposed(zr, 64, nq, mk, 1.0F, zt, ld);
  for (int64_t j = 0; j < mk; ++j) std::fill(zt + j * ld + nq, zt + j * ld + n16, 0.0F);
}

// Masks a transposed score tile st[j·ld + i] (keys k0 + j, j < mk; queries q0 + i, i < nq; lanes up to n16): adds
// the bias, sets -inf where the keep mask drops and, when the tile crosses the causal diagonal, above it. Key
// lengths are not handled here: callers stop at key_end.
ATTEND_FLASH_AVX512 inline void mask_tile(const FlashAttentionProblem<float>& p, int64_t b, int64_t h, int64_t q0,
                                          int64_t nq, int64_t n16, int64_t k0, int64_t mk, float* st, int64_t ld) {
  if (p.bias != nullptr) {
    const auto& s = p.bias_strides;
    const float* base = p.bias + b * s[0] + h * s[1] + q0 * s[2] + k0 * s[3];
    for (int64_t j = 0; j < mk; ++j)
      for (int64_t i = 0; i < nq; ++i) st[j * ld + i] += base[i * s[2] + j * s[3]];
  }
  if (p.keep != nullptr) {
    const auto& s = p.keep_strides;
    const uint8_t* base = p.keep + b * s[0] + h * s[1] + q0 * s[2] + k0 * s[3];
    for (int64_t j = 0; j < mk; ++j)
      for (int64_t i = 0; i < nq; ++i)
        if (base[i * s[2] + j * s[3]] == 0) st[j * ld + i] = -kInfF;
  }
  if (p.causal && k0 + mk - 1 > q0 + p.causal_offset) {
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 ninf = _mm512_set1_ps(-kInfF);
    for (int64_t j = 0; j < mk; ++j) {
      // key k0 + j is kept for query q0 + i iff i ≥ t
      const int64_t t = std::min(n16, k0 + j - p.causal_offset - q0);
      if (t <= 0) continue;
      const __m512i tv = _mm512_set1_epi32(static_cast<int>(t));
      for (int64_t i = 0; i < n16; i += kLanes) {
        const __mmask16 drop =
            _mm512_cmplt_epi32_mask(_mm512_add_epi32(iota, _mm512_set1_epi32(static_cast<int>(i))), tv);
        _mm512_mask_storeu_ps(st + j * ld + i, drop, ninf);
      }
    }
  }
}

}  // namespace attend::kernels::detail::flash
