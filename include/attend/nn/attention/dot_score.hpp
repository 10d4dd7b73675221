// DotScore: the dot product q·k of Luong et al. (2015, "Effective Approaches to Attention-based Neural Machine
// Translation", "dot"), optionally scaled as in Vaswani et al. (2017, "Attention Is All You Need"): q·k / √dim.
//
// Shapes: query [B, Tq, dim], keys [B, Tk, dim] -> scores [B, Tq, Tk]. No parameters. Queries and keys must have the
// same width (use GeneralScore to compare vectors of different widths).
// Scaling: .scaled = true multiplies by 1/√dim; .scale, when given, is the factor instead (and implies scaling).
//
// Usage:
//   DotScore dot({.dim = 64, .scaled = true});
//   Var scores = dot.score(h, memory);                 // h [B, Tq, 64], memory [B, Tk, 64] -> [B, Tq, Tk]
//   auto [context, weights] = attention(h, memory, memory, AttentionMask::key_lengths(len), dot);
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "attend/nn/attention/scorer.hpp"

namespace attend::nn {

struct DotScoreOptions {
  int64_t dim = 0;              ///< width of queries and keys (required, > 0)
  bool scaled = false;          ///< multiply the scores by 1/√dim
  std::optional<double> scale = std::nullopt;  ///< the factor to multiply by instead of 1/√dim (implies scaled)
};

class DotScore : public Scorer {
 public:
  /// Throws naming the option when dim ≤ 0 or the scale is not finite.
  explicit DotScore(const DotScoreOptions& options);

  /// query [B, Tq, dim], keys [B, Tk, dim] -> [B, Tq, Tk]. Throws naming both shapes when they do not fit.
  Var score_prepared(const Var& query, const ScorerKeys& keys) const override;

  /// "scaled_dot" when scaled (or a scale is given), else "dot".
  std::string kind_name() const override;
  int64_t dim_query() const override { return options_.dim; }
  int64_t dim_key() const override { return options_.dim; }
  /// The factor the dot products are multiplied by (1 when unscaled).
  double scale() const { return scale_; }
  const DotScoreOptions& options() const { return options_; }

 private:
  DotScoreOptions options_;
  double scale_ = 1.0;
};

}  // namespace attend::nn
