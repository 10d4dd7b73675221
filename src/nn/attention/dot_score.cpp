// DotScore: one batched matmul, then the scale.
#include "attend/nn/attention/dot_score.hpp"

#include <cmath>

#include "attend/core/error.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/shape.hpp"
#include "score_checks.hpp"

namespace attend::nn {

DotScore::DotScore(const DotScoreOptions& options) : options_(options) {
  detail::check_positive("DotScore", "dim", options.dim);
  if (options.scale) {
    ATTEND_CHECK(std::isfinite(*options.scale), "DotScore: scale must be finite, got {}", *options.scale);
    scale_ = *options.scale;
  } else if (options.scaled) {
    scale_ = 1.0 / std::sqrt(static_cast<double>(options.dim));
  }
}

Var DotScore::score_prepared(const Var& query, const ScorerKeys& keys) const {
  detail::check_score_inputs("DotScore", query, keys, options_.dim, options_.dim);
  const Var scores = matmul(query, transpose(keys.keys, 1, 2));  // [B, Tq, D] @ [B, D, Tk] -> [B, Tq, Tk]
  return scale_ == 1.0 ? scores : mul(scores, scale_);
}

std::string DotScore::kind_name() const { return options_.scaled || options_.scale ? "scaled_dot" : "dot"; }

}  // namespace attend::nn
