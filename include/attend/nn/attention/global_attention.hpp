// GlobalAttention: Luong et al. (2015, "Effective Approaches to Attention-based Neural Machine Translation") global
// attention with OpenNMT-py's semantics and parameter names, so an OpenNMT-py state_dict loads as is.
//
//   s = score(q, m)                 dot (unscaled), general ((W q)·m) or additive (vᵀ tanh(W_q q + b_q + W_k m))
//   a = softmax over unmasked j     align [B, Tq, Tk]; a query whose keys are all masked gets a = 0
//   c = Σ_j a_j m_j                 the memory is both keys and values
//   h* = tanh(W_out [c; q])         dot and general
//   h* = W_out [c; q] + b_out       additive (OpenNMT-py's "mlp": no tanh, with a bias)
//
// Shapes: query [B, Tq, D] or one step [B, D]; memory [B, Tk, D] -> attn_h [B, Tq, D] (or [B, D]) and align
// [B, Tq, Tk] (or [B, Tk]).
// Parameters (flat, as OpenNMT-py): general linear_in.weight [D, D]; additive linear_query.weight [D, D],
// linear_query.bias [D], linear_context.weight [D, D], v.weight [1, D]; every type linear_out.weight [D, 2D] and, for
// additive, linear_out.bias [D].
//
// Usage:
//   GlobalAttention attn({.dim = 64, .attn_type = ScoreKind::general});
//   auto [h, align] = attn.forward(dec_out, memory, AttentionMask::key_lengths(src_len));   // [B, Tq, 64], [B, Tq, Tk]
//   ScorerKeys keys = attn.prepare(memory);  then per step: attn.forward(h_t, keys, mask)      // h_t [B, 64]
#pragma once

#include <cstdint>
#include <memory>

#include "attend/nn/attention/mask.hpp"
#include "attend/nn/attention/scorer.hpp"
#include "attend/nn/linear.hpp"

namespace attend::nn {

struct GlobalAttentionOptions {
  int64_t dim = 0;                       ///< D, the width of queries and memory (required, > 0)
  ScoreKind attn_type = ScoreKind::dot;  ///< dot, general or additive (OpenNMT-py's "mlp")
  uint64_t seed = 0;
};

struct GlobalAttentionOutput {
  Var attn_h;  ///< [B, Tq, D], or [B, D] for a one-step query
  Var align;   ///< [B, Tq, Tk], or [B, Tk] for a one-step query
};

class GlobalAttention : public Module {
 public:
  /// Throws naming the option when dim ≤ 0 or attn_type is not dot, general or additive.
  explicit GlobalAttention(const GlobalAttentionOptions& options);

  /// query [B, Tq, D] or [B, D], memory [B, Tk, D] -> attn_h and align. Throws naming the argument and both shapes
  /// when they do not fit.
  GlobalAttentionOutput forward(const Var& query, const Var& memory, const AttentionMask& mask = {}) const;
  /// The same with the memory prepared once per source (prepare(memory)), for step-by-step decoders.
  GlobalAttentionOutput forward(const Var& query, const ScorerKeys& memory, const AttentionMask& mask = {}) const;
  /// memory [B, Tk, D] -> what the scorer needs every step (additive: W_k m, computed once).
  ScorerKeys prepare(const Var& memory) const;

  const Scorer& scorer() const { return *scorer_; }
  const Linear& linear_out() const { return *linear_out_; }
  const GlobalAttentionOptions& options() const { return options_; }

 private:
  GlobalAttentionOptions options_;
  std::shared_ptr<Scorer> scorer_;  // its children are registered here under their own names (flat state_dict)
  std::shared_ptr<Linear> linear_out_;
};

}  // namespace attend::nn
