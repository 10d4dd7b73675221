// GeneralScore: project the query into the key space (OpenNMT-py's order), then a batched dot product.
#include "attend/nn/attention/general_score.hpp"

#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/shape.hpp"
#include "score_checks.hpp"

namespace attend::nn {

GeneralScore::GeneralScore(const GeneralScoreOptions& options)
    : dim_query_(options.dim_query), dim_key_(options.dim_key == 0 ? options.dim_query : options.dim_key) {
  detail::check_positive("GeneralScore", "dim_query", dim_query_);
  detail::check_positive("GeneralScore", "dim_key", dim_key_);
  linear_in_ = register_module(
      "linear_in", std::make_shared<Linear>(LinearOptions{dim_query_, dim_key_, /*bias=*/false, options.seed * 4 + 1}));
}

Var GeneralScore::score_prepared(const Var& query, const ScorerKeys& keys) const {
  detail::check_score_inputs("GeneralScore", query, keys, dim_query_, dim_key_);
  const Var wq = linear_in_->forward(query);           // [B, Tq, Dk]
  return matmul(wq, transpose(keys.keys, 1, 2));         // [B, Tq, Dk] @ [B, Dk, Tk] -> [B, Tq, Tk]
}

}  // namespace attend::nn
