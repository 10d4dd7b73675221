// GeneralScore: the bilinear score (W q)·k of Luong et al. (2015, "Effective Approaches to Attention-based Neural
// Machine Translation", "general"), with OpenNMT-py's parameter name.
//
// Shapes: query [B, Tq, Dq], keys [B, Tk, Dk] -> scores [B, Tq, Tk].
// Parameters: linear_in.weight [Dk, Dq] (a Linear without bias, PyTorch's initialisation seeded by .seed).
//
// Usage:
//   GeneralScore general({.dim_query = 64, .dim_key = 128});
//   Var scores = general.score(h, memory);             // h [B, Tq, 64], memory [B, Tk, 128] -> [B, Tq, Tk]
//   general.load_state_dict({{"linear_in.weight", w}});  // w [128, 64]
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attend/nn/attention/scorer.hpp"
#include "attend/nn/linear.hpp"

namespace attend::nn {

struct GeneralScoreOptions {
  int64_t dim_query = 0;  ///< Dq (required, > 0)
  int64_t dim_key = 0;    ///< Dk; 0: dim_query
  uint64_t seed = 0;
};

class GeneralScore : public Scorer {
 public:
  /// Throws naming the option when a width is not positive.
  explicit GeneralScore(const GeneralScoreOptions& options);

  /// query [B, Tq, Dq], keys [B, Tk, Dk] -> (query W_inᵀ) keysᵀ [B, Tq, Tk]. Throws naming both shapes when they do
  /// not fit.
  Var score_prepared(const Var& query, const ScorerKeys& keys) const override;

  std::string kind_name() const override { return "general"; }
  int64_t dim_query() const override { return dim_query_; }
  int64_t dim_key() const override { return dim_key_; }
  const Linear& linear_in() const { return *linear_in_; }

 private:
  int64_t dim_query_, dim_key_;
  std::shared_ptr<Linear> linear_in_;
};

}  // namespace attend::nn
