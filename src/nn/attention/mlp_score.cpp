// MlpScore: fc1 split into its query and key column blocks (views of fc1.weight), so the key half is computed once
// per source and the pair [q; k] is never materialised.
#include "attend/nn/attention/mlp_score.hpp"

#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/shape.hpp"
#include "score_checks.hpp"

namespace attend::nn {

MlpScore::MlpScore(const MlpScoreOptions& options)
    : dim_query_(options.dim_query),
      dim_key_(options.dim_key == 0 ? options.dim_query : options.dim_key),
      hidden_(options.hidden),
      activation_(options.activation) {
  detail::check_positive("MlpScore", "dim_query", dim_query_);
  detail::check_positive("MlpScore", "dim_key", dim_key_);
  detail::check_positive("MlpScore", "hidden", hidden_);
  fc1_ = register_module(
      "fc1", std::make_shared<Linear>(LinearOptions{dim_query_ + dim_key_, hidden_, true, options.seed * 4 + 1}));
  fc2_ = register_module("fc2", std::make_shared<Linear>(LinearOptions{hidden_, 1, true, options.seed * 4 + 2}));
}

ScorerKeys MlpScore::prepare(const Var& keys) const {
  detail::check_keys("MlpScore", keys, dim_key_);
  const Var w_key = narrow(fc1_->weight(), 1, dim_query_, dim_key_);  // [h, Dk]
  return {keys, linear(keys, w_key), Tensor()};                        // [B, Tk, h]
}

Var MlpScore::score_prepared(const Var& query, const ScorerKeys& keys) const {
  if (!keys.projected.defined()) return score_prepared(query, prepare(keys.keys));
  detail::check_score_inputs("MlpScore", query, keys, dim_query_, dim_key_);
  detail::check_projected("MlpScore", keys, hidden_);
  const Var w_query = narrow(fc1_->weight(), 1, 0, dim_query_);              // [h, Dq]
  const Var qh = unsqueeze(linear(query, w_query, fc1_->bias()), 2);          // [B, Tq, 1, h]
  const Var kh = unsqueeze(keys.projected, 1);                                // [B, 1, Tk, h]
  const Var pre = add(qh, kh);                                                // [B, Tq, Tk, h]
  const Var act = activation_ == ScoreActivation::tanh ? tanh(pre) : relu(pre);
  return squeeze(fc2_->forward(act), 3);                                      // [B, Tq, Tk, 1] -> [B, Tq, Tk]
}

}  // namespace attend::nn
