// MlpScore: a one-hidden-layer perceptron on the concatenated pair, the "concat" score in its general form
// (Luong et al. 2015, §3.1; the feed-forward alignment model of Bahdanau et al. 2015):
//
//   score(q, k) = w₂ᵀ act(W₁ [q; k] + b₁) + b₂          act = tanh or relu
//
// Shapes: query [B, Tq, Dq], keys [B, Tk, Dk] -> scores [B, Tq, Tk].
// Parameters: fc1.weight [hidden, Dq + Dk], fc1.bias [hidden], fc2.weight [1, hidden], fc2.bias [1].
// W₁ [q; k] = W₁[:, :Dq] q + W₁[:, Dq:] k, so prepare(keys) computes the key half once per source ([B, Tk, hidden],
// from a view of fc1.weight: gradients reach fc1.weight) and [q; k] is never materialised per pair.
//
// Usage:
//   MlpScore mlp({.dim_query = 64, .dim_key = 128, .hidden = 32, .activation = ScoreActivation::relu});
//   Var scores = mlp.score(h, memory);                 // h [B, Tq, 64], memory [B, Tk, 128] -> [B, Tq, Tk]
//   ScorerKeys keys = mlp.prepare(memory);             // for step-by-step decoders: score_prepared(h_t, keys)
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attend/nn/attention/scorer.hpp"
#include "attend/nn/linear.hpp"

namespace attend::nn {

struct MlpScoreOptions {
  int64_t dim_query = 0;  ///< Dq (required, > 0)
  int64_t dim_key = 0;    ///< Dk; 0: dim_query
  int64_t hidden = 0;     ///< width of the hidden layer (required, > 0)
  ScoreActivation activation = ScoreActivation::tanh;
  uint64_t seed = 0;
};

class MlpScore : public Scorer {
 public:
  /// Throws naming the option when a width is not positive.
  explicit MlpScore(const MlpScoreOptions& options);

  /// keys [B, Tk, Dk] -> {keys, keys W₁[:, Dq:]ᵀ [B, Tk, hidden]}.
  ScorerKeys prepare(const Var& keys) const override;
  /// query [B, Tq, Dq], prepared keys -> [B, Tq, Tk]. Keys without a projection are prepared here. Throws naming both
  /// shapes when they do not fit.
  Var score_prepared(const Var& query, const ScorerKeys& keys) const override;

  std::string kind_name() const override { return "mlp"; }
  int64_t dim_query() const override { return dim_query_; }
  int64_t dim_key() const override { return dim_key_; }
  int64_t hidden() const { return hidden_; }
  ScoreActivation activation() const { return activation_; }

 private:
  int64_t dim_query_, dim_key_, hidden_;
  ScoreActivation activation_;
  std::shared_ptr<Linear> fc1_, fc2_;
};

}  // namespace attend::nn
