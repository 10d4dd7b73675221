// flash_attention: softmax(q kᵀ · scale + bias, masked) v as one differentiable op with a hand-written backward
// (FlashAttention-2), the fused twin of the composite nn::scaled_dot_product_attention (which picks it by itself,
// see attention.hpp). The [Tq, Tk] scores are never stored: the forward keeps the row log-sum-exp (lse) and the
// backward recomputes the weights from it. f32 runs the AVX-512 tiles (tensor/kernels/flash_attention.hpp); f64
// runs the naive reference loops (the gradcheck path).
//
//   q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv] -> context [B, H, Tq, Dv], lse [B, H, Tq]
//   Views whose last dim is contiguous are read in place (others are copied); the context and the gradients are
//   stored in their input's order (a head-split view of [B, T, E] gets a context stored [B, T, H, Dv]).
//   Hkv divides H; query head h reads key/value head h / (H / Hkv). A query whose keys are all masked gets context
//   0, lse +inf and gradient 0.
//
// Usage:
//   FlashAttentionResult r = flash_attention(q, k, v, {.causal_offset = 0}, 0.125);
//   flash_attention(q, k, v, {}, 0.125, {.p = 0.1, .seed = rng.seed(), .stream = rng.stream(),
//                                        .first = rng.advance(B * H * Tq * Tk)});  // while training
//   Tensor w = flash_attention_weights(q, k, {.causal_offset = 0}, 0.125, r.lse);  // [B, H, Tq, Tk]
//   flash_attention(q, k, v, {}, 0.125, {}, AttentionPrecision::bf16);  // bf16 products, forward and backward
#pragma once

#include <cstdint>
#include <optional>

#include "attend/autograd/var.hpp"
#include "attend/tensor/kernels/flash_attention.hpp"

namespace attend {

/// The mask parts the fused kernel handles. The bias takes no gradient (nn::scaled_dot_product_attention uses the
/// composite path when it would need one).
struct FlashAttentionMask {
  Tensor key_lengths = Tensor();                        ///< i64 [B], each in [0, Tk]; undefined keeps every key
  std::optional<int64_t> causal_offset = std::nullopt;  ///< query i keeps key j iff j ≤ i + offset
  Tensor bias = Tensor();  ///< q's dtype, broadcastable to [B, H, Tq, Tk], added to the scaled scores
  Tensor keep = Tensor();  ///< u8 (1 = keep), broadcastable to [B, H, Tq, Tk]
};

struct FlashAttentionResult {
  Var context;  ///< [B, H, Tq, Dv]
  Tensor lse;   ///< [B, H, Tq], log Σ_j exp(score_ij) over the kept keys; +inf for a fully masked query
};

/// Inverted dropout on the weights inside the op (kernels::FlashDropout): weight (b, h, i, j) is kept, and scaled by
/// 1 / (1 − p), iff Philox word first + ((b·H + h)·Tq + i)·Tk + j of (seed, stream) is ≥ round(p·2³²), which is
/// what the dropout op draws for a [B, H, Tq, Tk] tensor at offset `first`. The lse and the recomputed weights are
/// those before dropout.
using FlashDropout = kernels::FlashDropout;

/// The inputs of the products: f32, or rounded to bf16 with f32 sums (AVX512-BF16 where the CPU has it, else the
/// naive loops; kernels::FlashAttentionProblem::bf16), in the forward's two products and in the backward's five
/// (the mixed-precision gradient: softmax, lse, δ and every sum stay f32). bf16 takes f32 tensors.
enum class AttentionPrecision { f32, bf16 };

/// The fused attention op (registered as "flash_attention"). Throws attend::Error naming the argument and the shapes
/// when they do not fit, or when the dtypes differ or are not f32/f64, or the dropout p is outside [0, 1), or bf16
/// is asked for with f64 inputs.
FlashAttentionResult flash_attention(const Var& q, const Var& k, const Var& v, const FlashAttentionMask& mask,
                                     double scale, const FlashDropout& dropout = {},
                                     AttentionPrecision precision = AttentionPrecision::f32);

/// The softmax weights [B, H, Tq, Tk] recomputed from `lse` (no gradient), for heads [head_begin, head_end) (all
/// heads by default; the other heads' rows are 0); `precision` that of the forward that gave lse.
Tensor flash_attention_weights(const Var& q, const Var& k, const FlashAttentionMask& mask, double scale,
                               const Tensor& lse, int64_t head_begin = 0, int64_t head_end = -1,
                               AttentionPrecision precision = AttentionPrecision::f32);

}  // namespace attend
