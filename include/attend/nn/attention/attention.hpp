// attention(): the attention read of Bahdanau et al. (2015) and Luong et al. (2015) with any Scorer, and
// scaled_dot_product_attention(): the multi-head core of Vaswani et al. (2017).
//
//   α = softmax(mask(score(q, k)))          weights [B, Tq, Tk]; a query whose keys are all masked gets α = 0
//   c = α v                                  context [B, Tq, Dv]
//
// Both are compositions of differentiable ops (no hand-written backward): gradients flow through the weights into
// the queries, keys, values and the scorer's parameters, which is what backpropagation through time needs.
// The composite path here is the reference for the fused kernels of tensor/kernels/.
//
// Usage:
//   DotScore dot({.dim = 64});
//   auto [context, weights] = attention(h, memory, memory, AttentionMask::key_lengths(src_len), dot);
//   auto out = scaled_dot_product_attention(q, k, v, AttentionMask::causal(), {});   // q [B, H, Tq, D]
#pragma once

#include "attend/core/rng.hpp"
#include "attend/nn/attention/mask.hpp"
#include "attend/ops/flash_attention.hpp"
#include "attend/nn/attention/scorer.hpp"

namespace attend::nn {

struct AttentionOutput {
  Var context;  ///< [B, Tq, Dv], or [B, H, Tq, Dv] from scaled_dot_product_attention
  Var weights;  ///< [B, Tq, Tk], or [B, H, Tq, Tk]; the softmax before dropout (undefined when not asked for)
};

/// query [B, Tq, Dq], keys [B, Tk, Dk], values [B, Tk, Dv] -> context and weights, with `scorer`'s scores.
/// Throws naming the argument and both shapes when B or Tk disagree.
AttentionOutput attention(const Var& query, const Var& keys, const Var& values, const AttentionMask& mask,
                          const Scorer& scorer);
/// The same with keys prepared once per source (scorer.prepare(keys)), for step-by-step decoders.
AttentionOutput attention(const Var& query, const ScorerKeys& keys, const Var& values, const AttentionMask& mask,
                          const Scorer& scorer);

/// Which implementation scaled_dot_product_attention runs. automatic: the fused kernel (ops/flash_attention.hpp)
/// for f32 when it supports the call (at most one bias that needs no gradient, no appended keys; dropout while
/// training drops the same weights as the composite's, from the same Rng words), otherwise the composite; the
/// environment variable ATTEND_ATTENTION_IMPL=composite forces the composite. composite: always the composite
/// reference. fused: always the fused op (f64 runs its naive loops); throws when the call needs something it does
/// not support.
enum class AttentionImpl { automatic, composite, fused };

struct ScaledDotProductOptions {
  std::optional<double> scale = std::nullopt;  ///< default 1/√D
  double dropout = 0.0;         ///< on the weights, while `training`
  bool training = false;
  Rng* rng = nullptr;           ///< required when dropout is applied
  bool need_weights = false;
  /// With need_weights: the weights of query heads [weights_head_begin, weights_head_end) only, [B, h, Tq, Tk]
  /// (-1: up to H). The fused op recomputes only those heads.
  int64_t weights_head_begin = 0;
  int64_t weights_head_end = -1;
  AttentionImpl implementation = AttentionImpl::automatic;
  /// bf16: the fused op's products on bf16 inputs (AVX512-BF16; ops/flash_attention.hpp), forward and backward (the
  /// mixed-precision gradient): f32 inputs, never the composite (a call the fused op cannot run, or asks for the
  /// composite, throws).
  AttentionPrecision precision = AttentionPrecision::f32;
};

/// q [B, H, Tq, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv] -> context [B, H, Tq, Dv] and, when asked, weights
/// [B, H, Tq, Tk] (or [B, h, Tq, Tk] for the heads options.weights_head_begin..end; throws naming the range and H
/// when it is outside [0, H)). Hkv must divide H (grouped-query attention: query head h reads key/value head
/// h / (H / Hkv)).
/// The mask applies to the scores [B, H, Tq, Tk].
AttentionOutput scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const AttentionMask& mask,
                                             const ScaledDotProductOptions& options);

}  // namespace attend::nn
