// AVX-512 flash attention, forward and backward (docs/flash_attention.md). Tiles are 64 queries × 64 keys; scores
// are computed transposed, st[key][query] = k · (q·scale)ᵀ, so the per-query softmax statistics (max, sum, lse) are
// vertical vector operations over 16 queries at a time and no tile is ever transposed.
//
// Forward, one work unit = (b, h, 64-query tile), one thread each:
//   qt = (q·scale)ᵀ [D, 64]; for each 64-key tile up to the last key any query of the tile sees:
//     st = k_tile qt (+ bias, masks);  m' = max(m, max_j st);  p = exp(st − m');  l = l·e^(m−m') + Σ_j p
//     o = o·e^(m−m') + pᵀ v_tile
//   out = o / l, lse = m + log l (a query with no kept key: out 0, lse +inf).
// Backward (FlashAttention-2), one work unit = (b, key/value head), one thread each, so dk, dv and the dq of the
// group's query heads are owned by one thread and summed in a fixed order:
//   per query head: qt = (q·scale)ᵀ, dot = doutᵀ, δ = rowsum(dout ⊙ out); per key tile, per query tile:
//     pt = exp(st − lse);  dv += pt dout;  dpt = v_tile dot;  dst = pt ⊙ (dpt − δ)·scale
//     dk += dst q;  dq += dstᵀ k_tile
#include "flash_attention_avx512.hpp"

#include <omp.h>

#include <cmath>
#include <vector>

#include "flash_tiles_avx512.hpp"

namespace attend::kernels::detail {

namespace {

using flash::first_lanes;
using flash::gemm;
using flash::kInfF;
using flash::kLanes;
using P = FlashAttentionProblem<float>;

constexpr int64_t kBq = 64;  // queries per tile (4 vectors)
constexpr int64_t kBk = 64;  // keys per tile

struct ForwardScratch {
  std::vector<float> qt, st, o, alpha;
  explicit ForwardScratch(const P& p)
      : qt(static_cast<size_t>(p.dim * kBq)), st(static_cast<size_t>(kBk * kBq)),
        o(static_cast<size_t>(kBq * p.dim_v)), alpha(static_cast<size_t>(kBq)) {}
};

// x[0..n) *= a
ATTEND_FLASH_AVX512 inline void scale_row(float* x, int64_t n, float a) {
  const __m512 av = _mm512_set1_ps(a);
  for (int64_t d = 0; d < n; d += kLanes) {
    const __mmask16 k = first_lanes(std::min(kLanes, n - d));
    _mm512_mask_storeu_ps(x + d, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + d), av));
  }
}

ATTEND_FLASH_AVX512 void forward_tile(const P& p, int64_t b, int64_t h, int64_t q0, float* out, float* lse,
                                      ForwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, g = p.heads / p.kv_heads;
  const int64_t nq = std::min(kBq, p.tq - q0), n16 = flash::round_lanes(nq), nvq = n16 / kLanes;
  const int64_t row0 = (b * p.heads + h) * p.tq + q0;
  const float* qh = p.q + row0 * D;
  const float* kh = p.k + (b * p.kv_heads + h / g) * p.tk * D;
  const float* vh = p.v + (b * p.kv_heads + h / g) * p.tk * Dv;
  float* qt = w.qt.data();
  float* st = w.st.data();
  float* o = w.o.data();
  const auto scale = static_cast<float>(p.scale);
  if (nq < kBq) std::fill(qt, qt + D * kBq, 0.0F);
  for (int64_t i = 0; i < nq; ++i)  // rows of q read in order, written as columns of qt [D, 64]
    for (int64_t d = 0; d < D; ++d) qt[d * kBq + i] = qh[i * D + d] * scale;
  std::fill(o, o + nq * Dv, 0.0F);
  __m512 m[kBq / kLanes], l[kBq / kLanes];
  for (int64_t v = 0; v < nvq; ++v) {
    m[v] = _mm512_set1_ps(-kInfF);
    l[v] = _mm512_setzero_ps();
  }
  const int64_t kend = flash::key_end(p, b, q0 + nq - 1);
  for (int64_t k0 = 0; k0 < kend; k0 += kBk) {
    const int64_t mk = std::min(kBk, kend - k0);
    gemm(mk, n16, D, kh + k0 * D, D, 1, qt, kBq, st, kBq, false);  // st [mk, n16]
    flash::mask_tile(p, b, h, q0, nq, n16, k0, mk, st, kBq);
    for (int64_t v = 0; v < nvq; ++v) {
      float* col = st + v * kLanes;
      __m512 mx = _mm512_set1_ps(-kInfF);
      for (int64_t j = 0; j < mk; ++j) mx = _mm512_max_ps(mx, _mm512_loadu_ps(col + j * kBq));
      const __m512 mnew = _mm512_max_ps(m[v], mx);
      // a query with every key so far masked keeps m = -inf; shift by 0 then, so no -inf − -inf
      const __m512 shift =
          _mm512_mask_mov_ps(mnew, _mm512_cmp_ps_mask(mnew, _mm512_set1_ps(-kInfF), _CMP_EQ_OQ), _mm512_setzero_ps());
      const __m512 alpha = flash::exp_ps(_mm512_sub_ps(m[v], shift));
      __m512 sum = _mm512_setzero_ps();
      for (int64_t j = 0; j < mk; ++j) {
        const __m512 e = flash::exp_ps(_mm512_sub_ps(_mm512_loadu_ps(col + j * kBq), shift));
        _mm512_storeu_ps(col + j * kBq, e);
        sum = _mm512_add_ps(sum, e);
      }
      l[v] = _mm512_fmadd_ps(l[v], alpha, sum);
      m[v] = mnew;
      _mm512_storeu_ps(w.alpha.data() + v * kLanes, alpha);
    }
    if (k0 > 0)  // a query whose max did not change has alpha = 1 exactly: skipping it changes no bit
      for (int64_t i = 0; i < nq; ++i)
        if (w.alpha[static_cast<size_t>(i)] != 1.0F) scale_row(o + i * Dv, Dv, w.alpha[static_cast<size_t>(i)]);
    gemm(nq, Dv, mk, st, 1, kBq, vh + k0 * Dv, Dv, o, Dv, true);  // o += pᵀ v
  }
  float ms[kBq], ls[kBq];
  for (int64_t v = 0; v < nvq; ++v) {
    _mm512_storeu_ps(ms + v * kLanes, m[v]);
    _mm512_storeu_ps(ls + v * kLanes, l[v]);
  }
  for (int64_t i = 0; i < nq; ++i) {
    float* dst = out + (row0 + i) * Dv;
    if (ls[i] > 0.0F) {
      std::copy(o + i * Dv, o + (i + 1) * Dv, dst);
      scale_row(dst, Dv, 1.0F / ls[i]);
      lse[row0 + i] = ms[i] + std::log(ls[i]);
    } else {  // no kept key
      std::fill(dst, dst + Dv, 0.0F);
      lse[row0 + i] = kInfF;
    }
  }
}

struct BackwardScratch {
  int64_t tqp;
  std::vector<float> qt, dot, lse, delta, st, dpt;
  explicit BackwardScratch(const P& p)
      : tqp((p.tq + kBq - 1) / kBq * kBq), qt(static_cast<size_t>(p.dim * tqp)),
        dot(static_cast<size_t>(p.dim_v * tqp)),
        lse(static_cast<size_t>(tqp)), delta(static_cast<size_t>(tqp)), st(static_cast<size_t>(kBk * kBq)),
        dpt(static_cast<size_t>(kBk * kBq)) {}
};

// Packs query head h tile by tile: qt = (q·scale)ᵀ and dot = doutᵀ as [Tq/64][D or Dv][64] (each tile's block
// contiguous), lse and δ = rowsum(dout ⊙ out) [tqp]; padding queries get lse = +inf (weight 0) and zeros.
void pack_head(const P& p, int64_t row0, const float* out, const float* lse, const float* dout, BackwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, tqp = w.tqp;
  const auto scale = static_cast<float>(p.scale);
  auto pack = [&](const float* src, int64_t width, float factor, float* dst) {
    for (int64_t q0 = 0; q0 < tqp; q0 += kBq) {
      float* tile = dst + q0 * width;  // [width][kBq]
      const int64_t nq = std::min(kBq, p.tq - q0);
      for (int64_t d = 0; d < width; ++d)
        for (int64_t i = 0; i < kBq; ++i) tile[d * kBq + i] = i < nq ? src[(row0 + q0 + i) * width + d] * factor : 0.0F;
    }
  };
  pack(p.q, D, scale, w.qt.data());
  pack(dout, Dv, 1.0F, w.dot.data());
  for (int64_t i = 0; i < tqp; ++i) {
    const bool real = i < p.tq;
    float delta = 0.0F;
    if (real)
      for (int64_t d = 0; d < Dv; ++d) delta += dout[(row0 + i) * Dv + d] * out[(row0 + i) * Dv + d];
    w.delta[static_cast<size_t>(i)] = delta;
    w.lse[static_cast<size_t>(i)] = real ? lse[row0 + i] : kInfF;
  }
}

ATTEND_FLASH_AVX512 void backward_unit(const P& p, int64_t b, int64_t hkv, const float* out, const float* lse,
                                       const float* dout, float* dq, float* dk, float* dv, BackwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, g = p.heads / p.kv_heads;
  const float* kh = p.k + (b * p.kv_heads + hkv) * p.tk * D;
  const float* vh = p.v + (b * p.kv_heads + hkv) * p.tk * Dv;
  float* dkh = dk + (b * p.kv_heads + hkv) * p.tk * D;
  float* dvh = dv + (b * p.kv_heads + hkv) * p.tk * Dv;
  std::fill(dkh, dkh + p.tk * D, 0.0F);
  std::fill(dvh, dvh + p.tk * Dv, 0.0F);
  const __m512 scale = _mm512_set1_ps(static_cast<float>(p.scale));
  float* st = w.st.data();
  float* dpt = w.dpt.data();
  const int64_t kend = flash::key_end(p, b, p.tq - 1);
  for (int64_t h = hkv * g; h < (hkv + 1) * g; ++h) {
    const int64_t row0 = (b * p.heads + h) * p.tq;
    float* dqh = dq + row0 * D;
    std::fill(dqh, dqh + p.tq * D, 0.0F);
    pack_head(p, row0, out, lse, dout, w);
    for (int64_t k0 = 0; k0 < kend; k0 += kBk) {
      const int64_t mk = std::min(kBk, kend - k0);
      const int64_t first_q = p.causal ? std::max<int64_t>(0, k0 - p.causal_offset) : 0;
      for (int64_t q0 = first_q / kBq * kBq; q0 < p.tq; q0 += kBq) {
        const int64_t nq = std::min(kBq, p.tq - q0), n16 = flash::round_lanes(nq);
        gemm(mk, n16, D, kh + k0 * D, D, 1, w.qt.data() + q0 * D, kBq, st, kBq, false);  // st [mk, n16]
        flash::mask_tile(p, b, h, q0, nq, n16, k0, mk, st, kBq);
        for (int64_t j = 0; j < mk; ++j)
          for (int64_t i = 0; i < n16; i += kLanes) {
            const __m512 s = _mm512_loadu_ps(st + j * kBq + i);
            _mm512_storeu_ps(st + j * kBq + i, flash::exp_ps(_mm512_sub_ps(s, _mm512_loadu_ps(&w.lse[q0 + i]))));
          }
        gemm(mk, Dv, nq, st, kBq, 1, dout + (row0 + q0) * Dv, Dv, dvh + k0 * Dv, Dv, true);  // dv += pt dout
        gemm(mk, n16, Dv, vh + k0 * Dv, Dv, 1, w.dot.data() + q0 * Dv, kBq, dpt, kBq, false);    // dpt [mk, n16]
        for (int64_t j = 0; j < mk; ++j)
          for (int64_t i = 0; i < n16; i += kLanes) {
            const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(dpt + j * kBq + i), _mm512_loadu_ps(&w.delta[q0 + i]));
            const __m512 p_ji = _mm512_loadu_ps(st + j * kBq + i);
            _mm512_storeu_ps(dpt + j * kBq + i, _mm512_mul_ps(_mm512_mul_ps(p_ji, d), scale));
          }
        gemm(mk, D, nq, dpt, kBq, 1, p.q + (row0 + q0) * D, D, dkh + k0 * D, D, true);  // dk += dst q
        gemm(nq, D, mk, dpt, 1, kBq, kh + k0 * D, D, dqh + q0 * D, D, true);            // dq += dstᵀ k
      }
    }
  }
}

bool parallel(int64_t units) { return units > 1 && !omp_in_parallel(); }

}  // namespace

void flash_attention_forward_avx512(const P& p, float* out, float* lse) {
  const int64_t tiles = (p.tq + kBq - 1) / kBq;
  const int64_t units = p.batch * p.heads * tiles;
#pragma omp parallel if (parallel(units))
  {
    ForwardScratch w(p);
    // Dynamic: causal tiles differ in cost. Each unit is computed whole by one thread: no dependence on the count.
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < units; ++u) {
      const int64_t t = u % tiles, bh = u / tiles;
      forward_tile(p, bh / p.heads, bh % p.heads, t * kBq, out, lse, w);
    }
  }
}

void flash_attention_backward_avx512(const P& p, const float* out, const float* lse, const float* dout, float* dq,
                                     float* dk, float* dv) {
  const int64_t units = p.batch * p.kv_heads;
#pragma omp parallel if (parallel(units))
  {
    BackwardScratch w(p);
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < units; ++u) backward_unit(p, u / p.kv_heads, u % p.kv_heads, out, lse, dout, dq, dk, dv, w);
  }
}

}  // namespace attend::kernels::detail
