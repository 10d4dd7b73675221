// Private to tensor/kernels: Philox 4x32-10 on 16 blocks at once (AVX-512), the same function as core/rng's
// philox4x32 and Rng::block_at, for kernels that draw many consecutive words (the flash tiles' dropout factors).
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "attend/core/rng.hpp"

#define ATTEND_PHILOX_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

namespace attend::kernels::detail {

// hi and lo 32 bits of the 16 products a·m (a: 16 lanes of u32, m one u32 constant).
ATTEND_PHILOX_AVX512 inline void mul_hi_lo(__m512i a, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(a, m);                         // lanes 0, 2, …: 64-bit products
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);  // lanes 1, 3, …
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

// words[4·L + w] = word w of block (block0 + L) of rng's (seed, stream), L < 16: 64 consecutive words from index
// 4·block0, equal to rng.block_at(block0 + L)[w].
ATTEND_PHILOX_AVX512 inline void philox_words64(const Rng& rng, uint64_t block0, uint32_t* words) {
  const __m512i lanes_lo = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i b_lo = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(block0)), lanes_lo);
  const __m512i b_hi = _mm512_add_epi64(b_lo, _mm512_set1_epi64(8));
  // counter words 0 and 1: the low and high halves of each lane's 64-bit block number
  __m512i c0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(b_lo)), _mm512_cvtepi64_epi32(b_hi), 1);
  __m512i c1 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(_mm512_srli_epi64(b_lo, 32))),
                                  _mm512_cvtepi64_epi32(_mm512_srli_epi64(b_hi, 32)), 1);
  __m512i c2 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(rng.stream())));
  __m512i c3 = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(rng.stream() >> 32)));
  uint32_t k0 = static_cast<uint32_t>(rng.seed()), k1 = static_cast<uint32_t>(rng.seed() >> 32);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kPhiloxMul0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kPhiloxMul1));
  for (int round = 0; round < 10; ++round) {
    __m512i hi0, lo0, hi1, lo1;
    mul_hi_lo(c0, m0, hi0, lo0);
    mul_hi_lo(c2, m1, hi1, lo1);
    c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32(static_cast<int>(k0)));
    c1 = lo1;
    c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32(static_cast<int>(k1)));
    c3 = lo0;
    k0 += kPhiloxWeyl0;
    k1 += kPhiloxWeyl1;
  }
  // 4 × 16 → 16 × 4: block L's four words next to each other
  const __m512i t0 = _mm512_unpacklo_epi32(c0, c1), t1 = _mm512_unpackhi_epi32(c0, c1);
  const __m512i t2 = _mm512_unpacklo_epi32(c2, c3), t3 = _mm512_unpackhi_epi32(c2, c3);
  // in 128-bit lane q: u0 block 4q, u1 block 4q + 1, u2 block 4q + 2, u3 block 4q + 3
  const __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
  const __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
  const __m512i v01 = _mm512_shuffle_i32x4(u0, u1, 0x44), v23 = _mm512_shuffle_i32x4(u2, u3, 0x44);
  const __m512i w01 = _mm512_shuffle_i32x4(u0, u1, 0xEE), w23 = _mm512_shuffle_i32x4(u2, u3, 0xEE);
  _mm512_storeu_si512(words, _mm512_shuffle_i32x4(v01, v23, 0x88));
  _mm512_storeu_si512(words + 16, _mm512_shuffle_i32x4(v01, v23, 0xDD));
  _mm512_storeu_si512(words + 32, _mm512_shuffle_i32x4(w01, w23, 0x88));
  _mm512_storeu_si512(words + 48, _mm512_shuffle_i32x4(w01, w23, 0xDD));
}

}  // namespace attend::kernels::detail
