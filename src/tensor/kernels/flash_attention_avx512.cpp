// AVX-512 flash attention, forward and backward (docs/flash_attention.md). Tiles are 64 queries × 64 keys; scores
// are computed transposed, st[key][query] = k · (q·scale)ᵀ, so the per-query softmax statistics (max, sum, lse) are
// vertical vector operations over 16 queries at a time and no tile is ever transposed.
//
// Forward, one work unit = (b, h, block of up to 4 query tiles), one thread each; per key tile, each query tile of
// the block that sees it takes one step (so a key/value tile read from L2 serves up to 256 queries):
//   qt = (q·scale)ᵀ [D, 64]; for each 64-key tile up to the last key any query of the tile sees:
//     st = k_tile qt (+ bias, masks);  m' = max(m, max_j st);  p = exp(st − m');  l = l·e^(m−m') + Σ_j p
//     o = o·e^(m−m') + pᵀ v_tile
//   out = o / l, lse = m + log l (a query with no kept key: out 0, lse +inf).
// Backward (FlashAttention-2), one work unit = (b, key/value head), one thread each, so dk, dv and the dq of the
// group's query heads are owned by one thread and summed in a fixed order:
//   per query head: qt = (q·scale)ᵀ, dot = doutᵀ, δ = rowsum(dout ⊙ out); per group of 4 key tiles, per query
//   tile, per key tile of the group (the query tile's data is reused from L1/L2 by the group):
//     pt = exp(st − lse);  dv += pt dout;  dpt = v_tile dot;  dst = pt ⊙ (dpt − δ)·scale
//     dk += dst q;  dq += dstᵀ k_tile
// bf16: the products take bf16 pairs (bf16_tiles_avx512.hpp) instead of f32. Forward: per unit qt2 = qt's rows
// (d, d + 1) interleaved; per key tile k2 = its rows in pairs along d and v2 = its rows (j, j + 1) interleaved,
// shared by the block's query tiles; per step pt2 = the weights' rows (j, j + 1) interleaved. The softmax
// statistics are those of the f32 scores st, as without bf16. Backward: per unit the key head's rows in pairs along
// d (k, v: the scores and dpt) and k's rows (j, j + 1) interleaved (dq); per query head qt and dot as pairs
// (qt2, dot2) and q's and dout's rows (i, i + 1) interleaved (dk, dv); per step the weights and dst in pairs along
// the queries (dv, dk) and dst's rows (j, j + 1) interleaved (dq). Pairs past the keys an item sees, or past Tq,
// have 0 halves.
#include "flash_attention_avx512.hpp"

#include <omp.h>

#include <cmath>
#include <utility>
#include <vector>

#include "bf16_tiles_avx512.hpp"
#include "flash_tiles_avx512.hpp"

namespace attend::kernels::detail {

namespace {

using flash::first_lanes;
using flash::gemm;
using flash::kInfF;
using flash::kLanes;
using P = FlashAttentionProblem<float>;
using kernels::row_at;

constexpr int64_t kBq = 64;  // queries per tile (4 vectors)
constexpr int64_t kBk = 64;  // keys per tile
constexpr int64_t kGroup = 4;  // key tiles per backward group (256 keys: k, v, dk, dv = 256 KiB at D = 64)

constexpr int64_t kMaxSub = 4;  // query tiles per forward work unit (a block of up to 256 queries)

// Query tiles per forward unit: 4, so each key/value tile read from L2 serves 256 queries, unless that leaves
// fewer than 16 units (small problems keep their parallelism). A query's result does not depend on this choice:
// every query tile runs the same key loop in the same order whichever block it is in.
int64_t forward_subtiles(const P& p) {
  const int64_t tiles = (p.tq + kBq - 1) / kBq;
  int64_t sub = kMaxSub;
  while (sub > 1 && p.batch * p.heads * ((tiles + sub - 1) / sub) < 16) sub /= 2;
  return sub;
}

int64_t pairs(int64_t n) { return (n + 1) / 2; }

// Grows v to at least n elements; never shrinks it.
template <class T>
void at_least(std::vector<T>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
}

// A thread's scratch is its own and kept from call to call (for_thread: a thread_local that fit() grows to the
// largest call so far), so the steady state allocates nothing. Allocated per call, the bf16 backward's buffers went
// back to the system at every free (glibc trims a thread's heap) and were faulted in again: at N=512 about 250 page
// faults per call, and the bf16 fwd+bwd ran 5% slower with glibc than with tcmalloc (kept: 0 faults after warm-up,
// glibc 26.2-26.8 ms against tcmalloc 26.6-27.6 at N=512, 2 threads, alternating runs). Every element a kernel reads
// it has written in the same call (padding included), so a reused buffer needs no clearing. Held per thread at
// N = 2048, D = 64: ~0.1 MiB forward, ~1.2 MiB backward, ~2.3 MiB bf16 backward.
template <class Scratch>
Scratch& for_thread(const P& p) {
  thread_local Scratch w;
  w.fit(p);
  return w;
}

// What a forward and a backward step both use: the score tile st [64][64] and, with dropout, the factor tiles.
struct StepScratch {
  std::vector<float> st, zt, zr;
  DropoutFactors drop{FlashDropout{}, 1, 1, 1};
  void fit_step(const P& p) {
    at_least(st, kBk * kBq);
    if (p.dropout.p > 0.0) {
      at_least(zt, kBk * kBq);
      at_least(zr, kBk * kBq);
    }
    drop = DropoutFactors(p.dropout, p.heads, p.tq, p.tk);
  }
};

struct ForwardScratch : StepScratch {
  std::vector<float> qt, o, alpha, m, l;
  // bf16 only: qt2 [sub][D/2][64], k2 [64][D/2], v2 [32][Dv], pt2 [32][64] (pairs, rounded up)
  std::vector<uint32_t> qt2, k2, v2, pt2;

  void fit(const P& p) {
    fit_step(p);
    at_least(qt, kMaxSub * p.dim * kBq);
    at_least(o, kMaxSub * kBq * p.dim_v);
    at_least(alpha, kBq);
    at_least(m, kMaxSub * kBq);
    at_least(l, kMaxSub * kBq);
    if (!p.bf16) return;
    at_least(qt2, kMaxSub * pairs(p.dim) * kBq);
    at_least(k2, kBk * pairs(p.dim));
    at_least(v2, pairs(kBk) * p.dim_v);
    at_least(pt2, pairs(kBk) * kBq);
  }
};

// dst[p] = rows (2p, 2p + 1) of a [n, width] f32 block (row stride ld) as bf16 pairs, p < ceil(n / 2), each dst row
// `width` pairs (ldd apart); an odd n's last pair has 0 in its high half.
ATTEND_BF16_AVX512 void interleave_block(const float* src, int64_t ld, int64_t n, int64_t width, uint32_t* dst,
                                         int64_t ldd) {
  for (int64_t r = 0; r < n; r += 2)
    bf16::interleave_rows(src + r * ld, r + 1 < n ? src + (r + 1) * ld : nullptr, width, dst + r / 2 * ldd);
}

// The key tile's k2 (rows [0, mt) in pairs along d) and v2 (rows (j, j + 1) interleaved).
ATTEND_BF16_AVX512 void pack_key_tile_bf16(const P& p, const float* k_rows, const float* v_rows, int64_t mt,
                                           ForwardScratch& w) {
  const int64_t D2 = pairs(p.dim);
  for (int64_t j = 0; j < mt; ++j) bf16::pack_row_pairs(k_rows + j * p.k_layout.t, p.dim, 1.0F, w.k2.data() + j * D2);
  interleave_block(v_rows, p.v_layout.t, mt, p.dim_v, w.v2.data(), p.dim_v);
}

// st [mk, n16] = k2 qt2 (the scores from bf16 pairs).
ATTEND_BF16_AVX512 void scores_bf16(const P& p, int64_t mk, int64_t n16, const uint32_t* qt2, ForwardScratch& w) {
  const int64_t D2 = pairs(p.dim);
  bf16::gemm(mk, n16, D2, w.k2.data(), D2, 1, qt2, kBq, w.st.data(), kBq, false);
}

// o [nq, Dv] += pᵀ v from bf16 pairs: pt2 = the weights st's rows (j, j + 1), j < mk. When mk is odd and the key
// tile has more rows (mt, another query tile's), v2's last pair row would pair key mk − 1 with key mk: that row is
// packed with a 0 half for this product, and restored after it (a 0 weight must not meet an inf or NaN there).
ATTEND_BF16_AVX512 void accumulate_bf16(const P& p, int64_t nq, int64_t n16, int64_t mk, int64_t mt,
                                        const float* v_rows, float* o, ForwardScratch& w) {
  const int64_t Dv = p.dim_v, lv = p.v_layout.t;
  interleave_block(w.st.data(), kBq, mk, n16, w.pt2.data(), kBq);
  const bool split_pair = mk % 2 == 1 && mk < mt;
  uint32_t* last = w.v2.data() + mk / 2 * Dv;
  if (split_pair) bf16::interleave_rows(v_rows + (mk - 1) * lv, nullptr, Dv, last);
  bf16::gemm(nq, Dv, pairs(mk), w.pt2.data(), 1, kBq, w.v2.data(), Dv, o, Dv, true);
  if (split_pair) bf16::interleave_rows(v_rows + (mk - 1) * lv, v_rows + mk * lv, Dv, last);
}

// st *= zt over [mk, n16] tiles (ld 64): the weights after dropout.
ATTEND_FLASH_AVX512 inline void apply_dropout(float* st, const float* zt, int64_t mk, int64_t n16) {
  for (int64_t j = 0; j < mk; ++j)
    for (int64_t i = 0; i < n16; i += kLanes)
      _mm512_storeu_ps(st + j * kBq + i,
                       _mm512_mul_ps(_mm512_loadu_ps(st + j * kBq + i), _mm512_loadu_ps(zt + j * kBq + i)));
}

// y[0..n) = x[0..n) · a (y may be x)
ATTEND_FLASH_AVX512 inline void scale_row(const float* x, int64_t n, float a, float* y) {
  const __m512 av = _mm512_set1_ps(a);
  int64_t d = 0;
  for (; d + kLanes <= n; d += kLanes) _mm512_storeu_ps(y + d, _mm512_mul_ps(_mm512_loadu_ps(x + d), av));
  for (; d < n; d += kLanes) {
    const __mmask16 k = first_lanes(std::min(kLanes, n - d));
    _mm512_mask_storeu_ps(y + d, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + d), av));
  }
}

// The online softmax of a transposed score tile st [mk, 16·NV] (ld 64): per query, m' = max(m, max_j st),
// st = exp(st − m'), l = l·e^(m−m') + Σ_j st; alpha = e^(m−m'). The NV columns of 16 queries are interleaved, so the
// max and sum chains of the NV columns run side by side (one column at a time left the 64-long add chain exposed);
// each column's sums still take j in order.
template <int NV>
ATTEND_FLASH_AVX512 void online_softmax(float* st, int64_t mk, float* ms, float* ls, float* alpha_out) {
  __m512 mx[NV], shift[NV], sum[NV];
  for (int v = 0; v < NV; ++v) mx[v] = _mm512_set1_ps(-kInfF);
  for (int64_t j = 0; j < mk; ++j)
    for (int v = 0; v < NV; ++v) mx[v] = _mm512_max_ps(mx[v], _mm512_loadu_ps(st + j * kBq + v * kLanes));
  for (int v = 0; v < NV; ++v) {
    const __m512 mold = _mm512_loadu_ps(ms + v * kLanes), mnew = _mm512_max_ps(mold, mx[v]);
    // a query with every key so far masked keeps m = -inf; shift by 0 then, so no -inf − -inf
    shift[v] =
        _mm512_mask_mov_ps(mnew, _mm512_cmp_ps_mask(mnew, _mm512_set1_ps(-kInfF), _CMP_EQ_OQ), _mm512_setzero_ps());
    _mm512_storeu_ps(alpha_out + v * kLanes, flash::exp_ps(_mm512_sub_ps(mold, shift[v])));
    _mm512_storeu_ps(ms + v * kLanes, mnew);
    sum[v] = _mm512_setzero_ps();
  }
  for (int64_t j = 0; j < mk; ++j)
    for (int v = 0; v < NV; ++v) {
      float* x = st + j * kBq + v * kLanes;
      const __m512 e = flash::exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x), shift[v]));
      _mm512_storeu_ps(x, e);
      sum[v] = _mm512_add_ps(sum[v], e);
    }
  for (int v = 0; v < NV; ++v) {
    const __m512 l = _mm512_loadu_ps(ls + v * kLanes), alpha = _mm512_loadu_ps(alpha_out + v * kLanes);
    _mm512_storeu_ps(ls + v * kLanes, _mm512_fmadd_ps(l, alpha, sum[v]));
  }
}

using SoftmaxFn = void (*)(float*, int64_t, float*, float*, float*);

// One key tile [k0, k0 + mk) for the query tile at q0 (nq queries): qt [D, 64] its packed (q·scale)ᵀ, o [nq, Dv]
// its accumulator, m and l [64] its running max and sum.
// With bf16, qt2 is the tile's qt as pairs and w.k2, w.v2 hold the key tile's mt rows (mk ≤ mt).
ATTEND_FLASH_AVX512 void forward_step(const P& p, int64_t b, int64_t h, int64_t q0, int64_t nq, const float* kh,
                                      const float* vh, int64_t k0, int64_t mk, int64_t mt, const float* qt,
                                      const uint32_t* qt2, float* o, float* ms, float* ls, ForwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, n16 = flash::round_lanes(nq), nvq = n16 / kLanes;
  float* st = w.st.data();
  const int64_t lk = p.k_layout.t, lv = p.v_layout.t;
  if (p.bf16) {
    scores_bf16(p, mk, n16, qt2, w);
  } else {
    gemm(mk, n16, D, kh + k0 * lk, lk, 1, qt, kBq, st, kBq, false);  // st [mk, n16]
  }
  flash::mask_tile(p, b, h, q0, nq, n16, k0, mk, st, kBq);
  static constexpr SoftmaxFn kSoftmax[4] = {online_softmax<1>, online_softmax<2>, online_softmax<3>,
                                            online_softmax<4>};
  kSoftmax[nvq - 1](st, mk, ms, ls, w.alpha.data());  // l sums the weights before dropout
  if (w.drop.active()) {
    flash::dropout_tile(w.drop, b, h, q0, nq, n16, k0, mk, w.zr.data(), w.zt.data(), kBq);
    apply_dropout(st, w.zt.data(), mk, n16);
  }
  if (k0 > 0)  // every row, without a branch: a query whose max did not change has alpha = 1 exactly (no bit changes)
    for (int64_t i = 0; i < nq; ++i) scale_row(o + i * Dv, Dv, w.alpha[static_cast<size_t>(i)], o + i * Dv);
  if (p.bf16) {
    accumulate_bf16(p, nq, n16, mk, mt, vh + k0 * lv, o, w);
  } else {
    gemm(nq, Dv, mk, st, 1, kBq, vh + k0 * lv, lv, o, Dv, true);  // o += pᵀ v
  }
}

// One unit: the `sub` query tiles from q_begin of (b, h). Per key tile, every query tile of the block that sees it
// takes its step, so the key and value tile is read from L2 once for up to 256 queries; each query tile's own
// sequence of steps (key tiles in order) is that of a block of one tile.
ATTEND_FLASH_AVX512 void forward_block(const P& p, int64_t b, int64_t h, int64_t q_begin, int64_t sub, float* out,
                                       float* lse, ForwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, g = p.heads / p.kv_heads;
  const int64_t q_end = std::min(p.tq, q_begin + sub * kBq), nsub = (q_end - q_begin + kBq - 1) / kBq;
  const int64_t row0 = (b * p.heads + h) * p.tq;
  const float* kh = row_at(p.k, p.k_layout, b, h / g, 0);
  const float* vh = row_at(p.v, p.v_layout, b, h / g, 0);
  const auto scale = static_cast<float>(p.scale);
  int64_t kend[kMaxSub], kmax = 0;
  for (int64_t s = 0; s < nsub; ++s) {
    const int64_t q0 = q_begin + s * kBq, nq = std::min(kBq, q_end - q0);
    const float* qh = row_at(p.q, p.q_layout, b, h, q0);
    float* qt = w.qt.data() + s * D * kBq;  // [D, 64]
    if (nq < kBq) std::fill(qt, qt + D * kBq, 0.0F);
    flash::pack_transposed(qh, p.q_layout.t, nq, D, scale, qt, kBq);
    if (p.bf16) interleave_block(qt, kBq, D, kBq, w.qt2.data() + s * pairs(D) * kBq, kBq);
    std::fill_n(w.o.data() + s * kBq * Dv, nq * Dv, 0.0F);
    std::fill_n(w.m.data() + s * kBq, kBq, -kInfF);
    std::fill_n(w.l.data() + s * kBq, kBq, 0.0F);
    kend[s] = flash::key_end(p, b, q0 + nq - 1);
    kmax = std::max(kmax, kend[s]);
  }
  for (int64_t k0 = 0; k0 < kmax; k0 += kBk) {
    const int64_t mt = std::min(kBk, kmax - k0);  // the rows any query tile of the block reads
    if (p.bf16) pack_key_tile_bf16(p, kh + k0 * p.k_layout.t, vh + k0 * p.v_layout.t, mt, w);
    for (int64_t s = 0; s < nsub; ++s) {
      if (k0 >= kend[s]) continue;
      const int64_t q0 = q_begin + s * kBq, nq = std::min(kBq, q_end - q0);
      forward_step(p, b, h, q0, nq, kh, vh, k0, std::min(kBk, kend[s] - k0), mt, w.qt.data() + s * D * kBq,
                   p.bf16 ? w.qt2.data() + s * pairs(D) * kBq : nullptr, w.o.data() + s * kBq * Dv,
                   w.m.data() + s * kBq, w.l.data() + s * kBq, w);
    }
  }
  for (int64_t i = 0; i < q_end - q_begin; ++i) {
    const float* o = w.o.data() + i * Dv;  // the sub-tiles' accumulators are consecutive [64, Dv] blocks
    const float mi = w.m[static_cast<size_t>(i)], li = w.l[static_cast<size_t>(i)];
    float* dst = row_at(out, p.out_layout, b, h, q_begin + i);
    if (li > 0.0F) {
      scale_row(o, Dv, 1.0F / li, dst);  // one pass into the output
      lse[row0 + q_begin + i] = mi + std::log(li);
    } else {  // no kept key
      std::fill(dst, dst + Dv, 0.0F);
      lse[row0 + q_begin + i] = kInfF;
    }
  }
}

struct BackwardScratch : StepScratch {
  int64_t tqp = 0;
  std::vector<float> qt, dot, lse, delta, dpt;
  // bf16 only. Per unit: k2 [Tk][D/2], v2 [Tk][Dv/2] (rows in pairs along the width), ki [Tk/2][D] (rows (j, j + 1)
  // interleaved). Per head: qt2 [Tq/64][D/2][64], dot2 [Tq/64][Dv/2][64], qi [Tq/2][D], doi [Tq/2][Dv]. Per step:
  // pt2 and dst2 [64][32] (pairs along the queries), dsi [32][64] (dst's rows (j, j + 1) interleaved).
  std::vector<uint32_t> k2, v2, ki, qt2, dot2, qi, doi, pt2, dst2, dsi;

  void fit(const P& p) {
    fit_step(p);
    tqp = (p.tq + kBq - 1) / kBq * kBq;
    at_least(qt, p.dim * tqp);
    at_least(dot, p.dim_v * tqp);
    at_least(lse, tqp);
    at_least(delta, tqp);
    at_least(dpt, kBk * kBq);
    if (!p.bf16) return;
    const int64_t D2 = pairs(p.dim), Dv2 = pairs(p.dim_v), tkp = pairs(p.tk) * 2;
    for (auto [v, n] : {std::pair{&k2, tkp * D2}, {&v2, tkp * Dv2}, {&ki, tkp / 2 * p.dim}, {&qt2, tqp * D2},
                        {&dot2, tqp * Dv2}, {&qi, tqp / 2 * p.dim}, {&doi, tqp / 2 * p.dim_v},
                        {&pt2, kBk * kBq / 2}, {&dst2, kBk * kBq / 2}, {&dsi, kBk * kBq / 2}})
      at_least(*v, n);
  }
};

// The key head's bf16 packings for the backward: k2 and v2 (rows in pairs along the width) and ki (rows (j, j + 1)
// interleaved), for the keys before kend only (no product reads a later row, so a NaN past an item's length stays
// out); an odd kend's last ki pair has a 0 half.
ATTEND_BF16_AVX512 void pack_keys_bf16(const P& p, const float* kh, const float* vh, int64_t kend,
                                       BackwardScratch& w) {
  const int64_t D2 = pairs(p.dim), Dv2 = pairs(p.dim_v);
  for (int64_t j = 0; j < kend; ++j) {
    bf16::pack_row_pairs(kh + j * p.k_layout.t, p.dim, 1.0F, w.k2.data() + j * D2);
    bf16::pack_row_pairs(vh + j * p.v_layout.t, p.dim_v, 1.0F, w.v2.data() + j * Dv2);
  }
  interleave_block(kh, p.k_layout.t, kend, p.dim, w.ki.data(), p.dim);
}

// The query head's bf16 packings: qt2 and dot2 from the packed qt and dot (rows (d, d + 1) of each tile
// interleaved), qi and doi from q and dout (rows (i, i + 1) interleaved; an odd Tq's last pair with a 0 half).
ATTEND_BF16_AVX512 void pack_queries_bf16(const P& p, int64_t b, int64_t h, const float* dout, BackwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, D2 = pairs(D), Dv2 = pairs(Dv);
  for (int64_t q0 = 0; q0 < w.tqp; q0 += kBq) {
    interleave_block(w.qt.data() + q0 * D, kBq, D, kBq, w.qt2.data() + q0 * D2, kBq);
    interleave_block(w.dot.data() + q0 * Dv, kBq, Dv, kBq, w.dot2.data() + q0 * Dv2, kBq);
  }
  interleave_block(row_at(p.q, p.q_layout, b, h, 0), p.q_layout.t, p.tq, D, w.qi.data(), D);
  interleave_block(row_at(dout, p.dout_layout, b, h, 0), p.dout_layout.t, p.tq, Dv, w.doi.data(), Dv);
}

// The scores st [mk, n16] and dpt = v_tile dot [mk, n16] of one step from the bf16 pairs.
ATTEND_BF16_AVX512 void backward_products_bf16(const P& p, int64_t q0, int64_t n16, int64_t k0, int64_t mk,
                                               BackwardScratch& w) {
  const int64_t D2 = pairs(p.dim), Dv2 = pairs(p.dim_v);
  bf16::gemm(mk, n16, D2, w.k2.data() + k0 * D2, D2, 1, w.qt2.data() + q0 * D2, kBq, w.st.data(), kBq, false);
  bf16::gemm(mk, n16, Dv2, w.v2.data() + k0 * Dv2, Dv2, 1, w.dot2.data() + q0 * Dv2, kBq, w.dpt.data(), kBq, false);
}

// dv += pt dout, dk += dst q, dq += dstᵀ k of one step from the bf16 pairs (pt = the weights after dropout).
ATTEND_BF16_AVX512 void backward_accumulate_bf16(const P& p, int64_t q0, int64_t nq, int64_t k0, int64_t mk,
                                                 float* dq, float* dk, float* dv, BackwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, nq2 = pairs(nq), ld2 = kBq / 2;
  for (int64_t j = 0; j < mk; ++j) {
    bf16::pack_row_pairs(w.st.data() + j * kBq, nq, 1.0F, w.pt2.data() + j * ld2);
    bf16::pack_row_pairs(w.dpt.data() + j * kBq, nq, 1.0F, w.dst2.data() + j * ld2);
  }
  interleave_block(w.dpt.data(), kBq, mk, flash::round_lanes(nq), w.dsi.data(), kBq);
  bf16::gemm(mk, Dv, nq2, w.pt2.data(), ld2, 1, w.doi.data() + q0 / 2 * Dv, Dv, dv, p.dv_layout.t, true);
  bf16::gemm(mk, D, nq2, w.dst2.data(), ld2, 1, w.qi.data() + q0 / 2 * D, D, dk, p.dk_layout.t, true);
  bf16::gemm(nq, D, pairs(mk), w.dsi.data(), 1, kBq, w.ki.data() + k0 / 2 * D, D, dq, p.dq_layout.t, true);
}

// Packs query head h tile by tile: qt = (q·scale)ᵀ and dot = doutᵀ as [Tq/64][D or Dv][64] (each tile's block
// contiguous), lse and δ = rowsum(dout ⊙ out) [tqp]; padding queries get lse = +inf (weight 0) and zeros.
ATTEND_FLASH_AVX512 void pack_head(const P& p, int64_t b, int64_t h, const float* out, const float* lse,
                                   const float* dout, BackwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, tqp = w.tqp, row0 = (b * p.heads + h) * p.tq;
  const auto scale = static_cast<float>(p.scale);
  auto pack = [&](const float* src, const kernels::FlashLayout& l, int64_t width, float factor, float* dst) {
    const float* head = row_at(src, l, b, h, 0);
    for (int64_t q0 = 0; q0 < tqp; q0 += kBq) {
      float* tile = dst + q0 * width;  // [width][kBq]
      const int64_t nq = std::min(kBq, p.tq - q0);
      if (nq < kBq) std::fill(tile, tile + width * kBq, 0.0F);
      flash::pack_transposed(head + q0 * l.t, l.t, nq, width, factor, tile, kBq);
    }
  };
  pack(p.q, p.q_layout, D, scale, w.qt.data());
  pack(dout, p.dout_layout, Dv, 1.0F, w.dot.data());
  for (int64_t i = 0; i < tqp; ++i) {
    const bool real = i < p.tq;
    float delta = 0.0F;
    if (real) {
      const float* gi = row_at(dout, p.dout_layout, b, h, i);
      const float* oi = row_at(out, p.out_layout, b, h, i);
      for (int64_t d = 0; d < Dv; ++d) delta += gi[d] * oi[d];
    }
    w.delta[static_cast<size_t>(i)] = delta;
    w.lse[static_cast<size_t>(i)] = real ? lse[row0 + i] : kInfF;
  }
}

// One (key tile, query tile) pair: p = exp(s − lse), dv += pᵀ dout, ds = p ⊙ (dout vᵀ − δ)·scale, dk += dsᵀ q,
// dq += ds k; st and dpt are [mk, 64] transposed tiles. With dropout factors z: dv += (p ⊙ z)ᵀ dout,
// ds = p ⊙ (z ⊙ dout vᵀ − δ)·scale (δ = rowsum(dout ⊙ out) still, out being Σ (p ⊙ z) v).
ATTEND_FLASH_AVX512 void backward_step(const P& p, int64_t b, int64_t h, int64_t q0, int64_t nq, int64_t n16,
                                       int64_t k0, int64_t mk, const float* kh, const float* vh, const float* dout,
                                       float* dqh, float* dkh, float* dvh, BackwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, lk = p.k_layout.t, lv = p.v_layout.t, lq = p.q_layout.t;
  const int64_t lo = p.dout_layout.t, ldq = p.dq_layout.t, ldk = p.dk_layout.t, ldv = p.dv_layout.t;
  const __m512 scale = _mm512_set1_ps(static_cast<float>(p.scale));
  float* st = w.st.data();
  float* dpt = w.dpt.data();
  if (p.bf16) {
    backward_products_bf16(p, q0, n16, k0, mk, w);
  } else {
    gemm(mk, n16, D, kh + k0 * lk, lk, 1, w.qt.data() + q0 * D, kBq, st, kBq, false);  // st [mk, n16]
  }
  flash::mask_tile(p, b, h, q0, nq, n16, k0, mk, st, kBq);
  for (int64_t j = 0; j < mk; ++j)
    for (int64_t i = 0; i < n16; i += kLanes) {
      const __m512 s = _mm512_loadu_ps(st + j * kBq + i);
      _mm512_storeu_ps(st + j * kBq + i, flash::exp_ps(_mm512_sub_ps(s, _mm512_loadu_ps(&w.lse[q0 + i]))));
    }
  if (!p.bf16) gemm(mk, n16, Dv, vh + k0 * lv, lv, 1, w.dot.data() + q0 * Dv, kBq, dpt, kBq, false);  // dpt [mk, n16]
  if (w.drop.active()) {
    const float* zt = w.zt.data();
    flash::dropout_tile(w.drop, b, h, q0, nq, n16, k0, mk, w.zr.data(), w.zt.data(), kBq);
    for (int64_t j = 0; j < mk; ++j)
      for (int64_t i = 0; i < n16; i += kLanes) {
        const __m512 z = _mm512_loadu_ps(zt + j * kBq + i), p_ji = _mm512_loadu_ps(st + j * kBq + i);
        const __m512 d = _mm512_fmsub_ps(z, _mm512_loadu_ps(dpt + j * kBq + i), _mm512_loadu_ps(&w.delta[q0 + i]));
        _mm512_storeu_ps(dpt + j * kBq + i, _mm512_mul_ps(_mm512_mul_ps(p_ji, d), scale));
        _mm512_storeu_ps(st + j * kBq + i, _mm512_mul_ps(p_ji, z));
      }
  } else {
    for (int64_t j = 0; j < mk; ++j)
      for (int64_t i = 0; i < n16; i += kLanes) {
        const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(dpt + j * kBq + i), _mm512_loadu_ps(&w.delta[q0 + i]));
        const __m512 p_ji = _mm512_loadu_ps(st + j * kBq + i);
        _mm512_storeu_ps(dpt + j * kBq + i, _mm512_mul_ps(_mm512_mul_ps(p_ji, d), scale));
      }
  }
  if (p.bf16) return backward_accumulate_bf16(p, q0, nq, k0, mk, dqh + q0 * ldq, dkh + k0 * ldk, dvh + k0 * ldv, w);
  gemm(mk, Dv, nq, st, kBq, 1, row_at(dout, p.dout_layout, b, h, q0), lo, dvh + k0 * ldv, ldv, true);  // dv += pt dout
  gemm(mk, D, nq, dpt, kBq, 1, row_at(p.q, p.q_layout, b, h, q0), lq, dkh + k0 * ldk, ldk, true);  // dk += dst q
  gemm(nq, D, mk, dpt, 1, kBq, kh + k0 * lk, lk, dqh + q0 * ldq, ldq, true);  // dq += dstᵀ k
}

ATTEND_FLASH_AVX512 void backward_unit(const P& p, int64_t b, int64_t hkv, const float* out, const float* lse,
                                       const float* dout, float* dq, float* dk, float* dv, BackwardScratch& w) {
  const int64_t D = p.dim, Dv = p.dim_v, g = p.heads / p.kv_heads;
  const float* kh = row_at(p.k, p.k_layout, b, hkv, 0);
  const float* vh = row_at(p.v, p.v_layout, b, hkv, 0);
  float* dkh = row_at(dk, p.dk_layout, b, hkv, 0);
  float* dvh = row_at(dv, p.dv_layout, b, hkv, 0);
  for (int64_t j = 0; j < p.tk; ++j) {
    std::fill_n(dkh + j * p.dk_layout.t, D, 0.0F);
    std::fill_n(dvh + j * p.dv_layout.t, Dv, 0.0F);
  }
  const int64_t kend = flash::key_end(p, b, p.tq - 1);
  if (p.bf16) pack_keys_bf16(p, kh, vh, kend, w);
  for (int64_t h = hkv * g; h < (hkv + 1) * g; ++h) {
    float* dqh = row_at(dq, p.dq_layout, b, h, 0);
    for (int64_t i = 0; i < p.tq; ++i) std::fill_n(dqh + i * p.dq_layout.t, D, 0.0F);
    pack_head(p, b, h, out, lse, dout, w);
    if (p.bf16) pack_queries_bf16(p, b, h, dout, w);
    // Key tiles in groups of kGroup: per group the query tiles run in order and, per query tile, the group's key
    // tiles in order, so the query side (qt, dot, q, dout, dq: 80 KiB per tile) is read from L2 once per group
    // instead of once per key tile. Every sum keeps its order: dk and dv of a key tile over the query tiles in
    // order, dq of a query tile over the key tiles in order.
    for (int64_t g0 = 0; g0 < kend; g0 += kGroup * kBk) {
      const int64_t g1 = std::min(kend, g0 + kGroup * kBk);
      const int64_t first_q = p.causal ? std::max<int64_t>(0, g0 - p.causal_offset) : 0;
      for (int64_t q0 = first_q / kBq * kBq; q0 < p.tq; q0 += kBq) {
        const int64_t nq = std::min(kBq, p.tq - q0), n16 = flash::round_lanes(nq);
        for (int64_t k0 = g0; k0 < g1; k0 += kBk) {
          // the query tile sees key tile k0 unless the whole tile lies above the diagonal
          if (p.causal && q0 + nq - 1 + p.causal_offset < k0) break;
          const int64_t mk = std::min(kBk, g1 - k0);
          backward_step(p, b, h, q0, nq, n16, k0, mk, kh, vh, dout, dqh, dkh, dvh, w);
        }
      }
    }
  }
}

bool parallel(int64_t units) { return units > 1 && !omp_in_parallel(); }

}  // namespace

void flash_attention_forward_avx512(const P& p, float* out, float* lse) {
  const int64_t sub = forward_subtiles(p), blocks = ((p.tq + kBq - 1) / kBq + sub - 1) / sub;
  const int64_t units = p.batch * p.heads * blocks;
#pragma omp parallel if (parallel(units))
  {
    ForwardScratch& w = for_thread<ForwardScratch>(p);
    // Dynamic: causal blocks differ in cost. Each unit is computed whole by one thread: no dependence on the count.
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < units; ++u) {
      const int64_t t = u % blocks, bh = u / blocks;
      forward_block(p, bh / p.heads, bh % p.heads, t * sub * kBq, sub, out, lse, w);
    }
  }
}

void flash_attention_backward_avx512(const P& p, const float* out, const float* lse, const float* dout, float* dq,
                                     float* dk, float* dv) {
  const int64_t units = p.batch * p.kv_heads;
#pragma omp parallel if (parallel(units))
  {
    BackwardScratch& w = for_thread<BackwardScratch>(p);
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < units; ++u) backward_unit(p, u / p.kv_heads, u % p.kv_heads, out, lse, dout, dq, dk, dv, w);
  }
}

}  // namespace attend::kernels::detail
