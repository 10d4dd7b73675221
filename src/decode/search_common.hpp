// What greedy and beam search share: checking the arguments, the per-source limits, checking a step's outputs, and
// turning a token path with its attention rows into a scored Hypothesis.
#pragma once

#include <cstdint>
#include <vector>

#include "attend/decode/search.hpp"

namespace attend::decode::detail {

/// The checked batch: B sources, the true length Ts_i and the maximum output length L_i of each, V.
struct SearchSetup {
  int64_t batch = 0;                 ///< B
  int64_t src_time = 0;              ///< Ts
  int64_t vocab = 0;                 ///< V
  std::vector<int64_t> src_lengths;  ///< Ts_i
  std::vector<int64_t> max_lengths;  ///< L_i ≥ 1
  bool keep_rows = false;            ///< attention rows are needed (kept, or the coverage penalty)
};

/// Checks src, src_lengths and the options (errors start with `op`) and computes the limits.
SearchSetup check_and_setup(const char* op, const DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                            const SearchOptions& options);

/// Checks a step's outputs against `rows` (N) and the setup; returns contiguous f32 views of both.
StepOutput checked_step_output(const char* op, StepOutput out, int64_t rows, const SearchSetup& setup, int64_t step);

/// Throws naming op, step, row and token when a log-probability is NaN.
[[noreturn]] void throw_nan(const char* op, int64_t step, int64_t row, int64_t token);

/// tokens (no BOS; the EOS included when finished), log_prob, and the attention rows (T·Ts_i floats, row-major;
/// empty when not kept) -> the scored Hypothesis.
Hypothesis make_hypothesis(std::vector<int64_t> tokens, double log_prob, bool finished, const std::vector<float>& rows,
                           int64_t src_length, const SearchOptions& options);

/// The score of a hypothesis with T produced tokens: log_prob / lp(T) + coverage (the β term, already computed).
double score_of(double log_prob, int64_t length, double coverage, const SearchOptions& options);

}  // namespace attend::decode::detail
