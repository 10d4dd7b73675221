// Fused scaled-dot-product attention (flash-attention style, Dao et al. 2022, FlashAttention-2 2023): softmax(q kᵀ ·
// scale + bias, masked) v without materialising the [Tq, Tk] scores, forward and backward, on raw pointers.
//
//   q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv] -> out [B, H, Tq, Dv], lse [B, H, Tq] (contiguous)
//   Every [B, heads, T, width] buffer (q, k, v, out, dout, dq, dk, dv) has a FlashLayout: its element strides over
//   B, heads and T, the width contiguous; all 0 (the default) means contiguous. So a head-split view of a [B, T, E]
//   projection ([B, T, H, D] in memory) is read in place and a context or gradient can be written that way.
//   query head h reads key/value head h / (H / Hkv) (grouped-query attention).
//   lse = log Σ_j exp(s_ij) over the kept keys, saved for the backward and for weights; a query whose keys are all
//   masked gets out = 0 and lse = +inf, so every recomputed weight exp(s − lse) and every gradient is 0, never NaN.
//
// Dropout (optional, FlashDropout): inverted dropout on the weights, drawn by element index from Philox exactly as
// the dropout op draws it on a [B, H, Tq, Tk] weights tensor, so the fused and the composite path drop the same
// weights; l, lse and the recomputed weights are those before dropout, as the composite's returned weights are.
//
// Mask parts, all optional: per-batch key lengths (key j kept iff j < lengths[b]), causal (j ≤ i + offset; tiles
// that are wholly masked are skipped), an additive bias and a u8 keep mask (1 = keep), each addressed by element
// strides over [B, H, Tq, Tk] where a stride 0 broadcasts.
//
// bf16 (optional): the scores are Σ_d bf16(q·scale)·bf16(k) summed in f32 and the output Σ_j bf16(p) bf16(v) / l,
// p and l in f32. The naive reference rounds q·scale, k and v alike but not p, so the two differ by up to 2⁻⁹ of |v|
// (a weight's rounding), where f32 and bf16 differ by ~2⁻⁸ of the scores' size. The backward's products likewise:
// dp = bf16(dout)·bf16(v), dv += bf16(p z)·bf16(dout), dk += bf16(dS)·bf16(q), dq += bf16(dS)·bf16(k) (the naive
// loops round q, k, v, dout but not p z and dS: 2⁻⁹ of each term apart).
//
// The `_naive` functions are the references (plain loops, double accumulation, single-threaded) and also run in
// f64 for the gradcheck; the others are the AVX-512 tiled kernels (docs/flash_attention.md), falling back to the
// naive loops on CPUs without AVX-512. Both are deterministic: a result does not depend on the thread count.
//
// Usage:
//   FlashAttentionProblem<float> p{.q = q, .k = k, .v = v, .batch = 8, .heads = 8, .kv_heads = 8, .tq = n, .tk = n,
//                                  .dim = 64, .dim_v = 64, .scale = 0.125, .causal = true};
//   flash_attention_forward(p, out, lse);  flash_attention_backward(p, out, lse, dout, dq, dk, dv);
#pragma once

#include <array>
#include <cstdint>

#include "attend/core/rng.hpp"

namespace attend::kernels {

/// Inverted dropout on the attention weights: weight (b, h, i, j) is kept, and scaled by 1 / (1 − p), iff the word
/// at index first + ((b·H + h)·Tq + i)·Tk + j of Philox (seed, stream) is ≥ round(p·2³²) (the dropout op's rule).
struct FlashDropout {
  double p = 0.0;  ///< drop probability in [0, 1); 0: none
  uint64_t seed = 0, stream = 0, first = 0;
};

/// The keep factors (0 or 1 / (1 − p)) of one problem's dropout, row by row.
class DropoutFactors {
 public:
  DropoutFactors(const FlashDropout& d, int64_t heads, int64_t tq, int64_t tk)
      : rng_(d.seed, d.stream), first_(d.first), heads_(heads), tq_(tq), tk_(tk),
        threshold_(dropout_keep_threshold(d.p)), active_(d.p > 0.0),
        scale_(active_ ? 1.0 / (1.0 - d.p) : 1.0) {}
  bool active() const { return active_; }
  const Rng& rng() const { return rng_; }
  /// Words ≥ this are kept (2³² and above: none is).
  uint64_t threshold() const { return threshold_; }
  /// The factor of a kept weight, 1 / (1 − p).
  double scale() const { return scale_; }
  /// The word index of key j0 of query row (b, h, i).
  uint64_t index_of(int64_t b, int64_t h, int64_t i, int64_t j0) const {
    return first_ + static_cast<uint64_t>(((b * heads_ + h) * tq_ + i) * tk_ + j0);
  }
  /// z[c·stride] for c < n: the factors of keys [j0, j0 + n) of query row (b, h, i).
  template <class T>
  void row(int64_t b, int64_t h, int64_t i, int64_t j0, int64_t n, T* z, int64_t stride) const {
    uint64_t index = index_of(b, h, i, j0);
    uint64_t block = index / 4;
    std::array<uint32_t, 4> words = rng_.block_at(block);
    for (int64_t c = 0; c < n; ++c, ++index) {
      if (index / 4 != block) words = rng_.block_at(block = index / 4);
      z[c * stride] = words[index % 4] >= threshold_ ? static_cast<T>(scale_) : T(0);
    }
  }

 private:
  Rng rng_;
  uint64_t first_;
  int64_t heads_, tq_, tk_;
  uint64_t threshold_;
  bool active_;
  double scale_;  // cast to T as the dropout op casts its factor
};

/// Element strides of a [B, heads, T, width] buffer over B, heads and T (the width is contiguous); all 0: contiguous.
struct FlashLayout {
  int64_t b = 0, h = 0, t = 0;
  bool contiguous_default() const { return b == 0 && h == 0 && t == 0; }
};

template <class T>
struct FlashAttentionProblem {
  const T* q = nullptr;  ///< [B, H, Tq, D]
  const T* k = nullptr;  ///< [B, Hkv, Tk, D]
  const T* v = nullptr;  ///< [B, Hkv, Tk, Dv]
  int64_t batch = 0, heads = 0, kv_heads = 0, tq = 0, tk = 0, dim = 0, dim_v = 0;
  double scale = 1.0;
  const int64_t* key_lengths = nullptr;  ///< [B], each in [0, Tk]; null keeps every key
  bool causal = false;
  int64_t causal_offset = 0;  ///< query i keeps key j iff j ≤ i + offset
  const T* bias = nullptr;    ///< added to the scaled scores; strides over [B, H, Tq, Tk], 0 = broadcast
  std::array<int64_t, 4> bias_strides{};
  const uint8_t* keep = nullptr;  ///< 1 = keep; strides over [B, H, Tq, Tk], 0 = broadcast
  std::array<int64_t, 4> keep_strides{};
  FlashLayout q_layout{}, k_layout{}, v_layout{};     ///< of q, k, v
  FlashLayout out_layout{}, dout_layout{};            ///< of out (also the backward's) and dout [B, H, Tq, Dv]
  FlashLayout dq_layout{}, dk_layout{}, dv_layout{};  ///< of the backward's dq, dk, dv
  FlashDropout dropout{};
  /// Forward products in bf16: q·scale, k, v and the weights go into the two products rounded to bf16
  /// (kernels/bf16.hpp), the sums, softmax, lse and output stay f32. The tiles use AVX512-BF16 (twice the products
  /// per instruction of f32 FMA); without it the naive loops round the same inputs. The backward's five products
  /// take bf16 inputs too (q, k, v, dout and the tiles' p z and dS), with f32 sums, δ and softmax.
  bool bf16 = false;
};

/// out [B, H, Tq, Dv] and lse [B, H, Tq] (+inf for a fully masked query).
void flash_attention_forward(const FlashAttentionProblem<float>& p, float* out, float* lse);
/// dq [B, H, Tq, D], dk [B, Hkv, Tk, D], dv [B, Hkv, Tk, Dv] (overwritten) from dout [B, H, Tq, Dv] and the forward's
/// out and lse.
void flash_attention_backward(const FlashAttentionProblem<float>& p, const float* out, const float* lse,
                              const float* dout, float* dq, float* dk, float* dv);
/// The softmax weights [B, H, Tq, Tk] recomputed from the saved lse: exp(s − lse) at kept keys, 0 elsewhere. Only
/// the query heads in [head_begin, head_end) are written (the others are left as they are).
void flash_attention_weights(const FlashAttentionProblem<float>& p, const float* lse, float* weights,
                             int64_t head_begin, int64_t head_end);

/// p with every default (all-0) layout replaced by the contiguous one of its buffer's shape.
template <class T>
FlashAttentionProblem<T> with_layouts(FlashAttentionProblem<T> p) {
  auto fill = [](FlashLayout& l, int64_t heads, int64_t t, int64_t width) {
    if (l.contiguous_default()) l = {heads * t * width, t * width, width};
  };
  fill(p.q_layout, p.heads, p.tq, p.dim);
  fill(p.k_layout, p.kv_heads, p.tk, p.dim);
  fill(p.v_layout, p.kv_heads, p.tk, p.dim_v);
  fill(p.out_layout, p.heads, p.tq, p.dim_v);
  fill(p.dout_layout, p.heads, p.tq, p.dim_v);
  fill(p.dq_layout, p.heads, p.tq, p.dim);
  fill(p.dk_layout, p.kv_heads, p.tk, p.dim);
  fill(p.dv_layout, p.kv_heads, p.tk, p.dim_v);
  return p;
}

/// The row (b, h, t) of a buffer in layout l.
template <class T>
T* row_at(T* base, const FlashLayout& l, int64_t b, int64_t h, int64_t t) {
  return base + b * l.b + h * l.h + t * l.t;
}

template <class T>
void flash_attention_forward_naive(const FlashAttentionProblem<T>& p, T* out, T* lse);
template <class T>
void flash_attention_backward_naive(const FlashAttentionProblem<T>& p, const T* out, const T* lse, const T* dout,
                                    T* dq, T* dk, T* dv);

}  // namespace attend::kernels
