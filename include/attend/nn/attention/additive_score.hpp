// AdditiveScore: the additive ("concat") score of Bahdanau et al. (2015, "Neural Machine Translation by Jointly
// Learning to Align and Translate"), OpenNMT-py's "mlp" attention:
//
//   score(q, k) = vᵀ tanh(W_q q + b_q + W_k k)
//
// Shapes: query [B, Tq, Dq], keys [B, Tk, Dk] -> scores [B, Tq, Tk]; the tanh layer has `hidden` units.
// Parameters (OpenNMT-py's names): linear_query.weight [hidden, Dq], linear_query.bias [hidden],
// linear_context.weight [hidden, Dk], v.weight [1, hidden].
// prepare(keys) computes W_k k once per source ([B, Tk, hidden]); each decoder step then costs one [B, Tq, Tk, hidden]
// tanh.
//
// Usage:
//   AdditiveScore additive({.dim_query = 64, .dim_key = 128});       // hidden = 128
//   ScorerKeys keys = additive.prepare(memory);                       // memory [B, Tk, 128], once per source
//   Var scores = additive.score_prepared(h_t, keys);                  // h_t [B, 1, 64] -> [B, 1, Tk]
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attend/nn/attention/scorer.hpp"
#include "attend/nn/linear.hpp"

namespace attend::nn {

struct AdditiveScoreOptions {
  int64_t dim_query = 0;  ///< Dq (required, > 0)
  int64_t dim_key = 0;    ///< Dk; 0: dim_query
  int64_t hidden = 0;     ///< width of the tanh layer; 0: dim_key (as OpenNMT-py)
  uint64_t seed = 0;
};

class AdditiveScore : public Scorer {
 public:
  /// Throws naming the option when a width is not positive.
  explicit AdditiveScore(const AdditiveScoreOptions& options);

  /// keys [B, Tk, Dk] -> {keys, W_k keys [B, Tk, hidden]}.
  ScorerKeys prepare(const Var& keys) const override;
  /// query [B, Tq, Dq], prepared keys -> [B, Tq, Tk]. Keys without a projection are prepared here. Throws naming both
  /// shapes when they do not fit.
  Var score_prepared(const Var& query, const ScorerKeys& keys) const override;
  /// The same scores as a composition (broadcast add, tanh, v): the reference of the fused path. Needs prepared keys.
  Var score_composite(const Var& query, const ScorerKeys& keys) const;

  std::string kind_name() const override { return "additive"; }
  int64_t dim_query() const override { return dim_query_; }
  int64_t dim_key() const override { return dim_key_; }
  int64_t hidden() const { return hidden_; }

 private:
  int64_t dim_query_, dim_key_, hidden_;
  std::shared_ptr<Linear> linear_query_, linear_context_, v_;
};

}  // namespace attend::nn
