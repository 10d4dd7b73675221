// AdditiveScore: W_k k once per source, then per query the fused additive_scores op (score_composite keeps the
// broadcast sum [B, Tq, 1, h] + [B, 1, Tk, h], tanh and v as the reference).
#include "attend/nn/attention/additive_score.hpp"

#include "attend/ops/additive_scores.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/shape.hpp"
#include "score_checks.hpp"

namespace attend::nn {

namespace {
// Each child gets its own initialisation stream.
uint64_t child_seed(uint64_t seed, uint64_t child) { return seed * 4 + child; }
}  // namespace

AdditiveScore::AdditiveScore(const AdditiveScoreOptions& options)
    : dim_query_(options.dim_query),
      dim_key_(options.dim_key == 0 ? options.dim_query : options.dim_key),
      hidden_(options.hidden == 0 ? dim_key_ : options.hidden) {
  detail::check_positive("AdditiveScore", "dim_query", dim_query_);
  detail::check_positive("AdditiveScore", "dim_key", dim_key_);
  detail::check_positive("AdditiveScore", "hidden", hidden_);
  const uint64_t s = options.seed;
  linear_context_ = register_module(
      "linear_context", std::make_shared<Linear>(LinearOptions{dim_key_, hidden_, /*bias=*/false, child_seed(s, 1)}));
  linear_query_ = register_module(
      "linear_query", std::make_shared<Linear>(LinearOptions{dim_query_, hidden_, /*bias=*/true, child_seed(s, 2)}));
  v_ = register_module("v", std::make_shared<Linear>(LinearOptions{hidden_, 1, /*bias=*/false, child_seed(s, 3)}));
}

ScorerKeys AdditiveScore::prepare(const Var& keys) const {
  detail::check_keys("AdditiveScore", keys, dim_key_);
  return {keys, linear_context_->forward(keys), Tensor()};  // [B, Tk, h]
}

Var AdditiveScore::score_prepared(const Var& query, const ScorerKeys& keys) const {
  if (!keys.projected.defined()) return score_prepared(query, prepare(keys.keys));
  detail::check_score_inputs("AdditiveScore", query, keys, dim_query_, dim_key_);
  detail::check_projected("AdditiveScore", keys, hidden_);
  const Var wq = linear_query_->forward(query);  // [B, Tq, h]
  return additive_scores(wq, keys.projected, v_->weight(), keys.lengths);  // [B, Tq, Tk], fused
}

Var AdditiveScore::score_composite(const Var& query, const ScorerKeys& keys) const {
  const Var wq = unsqueeze(linear_query_->forward(query), 2);  // [B, Tq, 1, h]
  const Var uh = unsqueeze(keys.projected, 1);                 // [B, 1, Tk, h]
  const Var e = v_->forward(tanh(add(wq, uh)));                // [B, Tq, Tk, 1]
  return squeeze(e, 3);                                        // [B, Tq, Tk]
}

}  // namespace attend::nn
