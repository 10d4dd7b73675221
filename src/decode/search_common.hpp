// What greedy and beam search share: checking the arguments, the per-source limits, checking a step's outputs, and
// turning a token path with its attention rows into a scored Hypothesis.
#pragma once

#include <cstdint>
#include <memory>
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
  nn::AttentionCapture capture;      ///< options.capture
};

/// Checks src, src_lengths and the options (errors start with `op`) and computes the limits.
SearchSetup check_and_setup(const char* op, const DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                            const SearchOptions& options);

/// Starts the state (start_capturing with the setup's capture) and checks it has B rows.
std::unique_ptr<DecoderState> start_state(const char* op, DecodingModel& model, const Tensor& src,
                                          const Tensor& src_lengths, const SearchSetup& setup);

/// Checks a step's outputs against `rows` (N) and the setup (captured: one f32 [N, h, K] per selected layer, K = the
/// step + 1 for decoder_self, Ts otherwise); returns contiguous f32 views.
StepOutput checked_step_output(const char* op, StepOutput out, int64_t rows, const SearchSetup& setup, int64_t step);

/// Throws naming op, step, row and token when a log-probability is NaN.
[[noreturn]] void throw_nan(const char* op, int64_t step, int64_t row, int64_t token);

/// The captured part of checked_step_output: checks and makes contiguous f32 the captured weights of a step.
void check_captured(const char* op, StepOutput& out, int64_t rows, const SearchSetup& setup, int64_t step);

/// Appends what the step captured for state row `row` to `into`: for decoder_self, cross and rnn in turn, per
/// selected layer h·K floats (K: the step's keys for decoder_self, the true source length src_length otherwise).
/// Appends nothing without a capture.
void append_captured_row(const StepOutput& out, int64_t row, int64_t src_length, std::vector<float>& into);

/// Per source i, the encoder self-attention the state captured: [h, Ts_i, Ts_i] per selected layer (empty lists
/// without a capture of encoder_self).
std::vector<std::vector<Tensor>> encoder_attention_per_source(const DecoderState& state, const SearchSetup& setup);

/// The captured weights of a hypothesis of T tokens from its rows (append_captured_row, one per token in order) and
/// its source's encoder attention (Hypothesis::captured's shapes).
nn::CapturedAttention captured_of(const std::vector<float>& rows, int64_t T, int64_t src_length,
                                  const nn::AttentionCapture& capture, const std::vector<Tensor>& encoder);

/// The rows of a hypothesis: tokens (no BOS; EOS included when finished), log_prob, the attention rows
/// (T·Ts_i floats, row-major; empty when not kept), the captured rows (append_captured_row, one per token) and its
/// source's encoder attention.
struct HypothesisRows {
  const std::vector<float>& attention;
  const std::vector<float>& captured;
  const std::vector<Tensor>& encoder;
};

/// tokens, log_prob and the rows of the hypothesis -> the scored Hypothesis with its attention and captured weights.
Hypothesis make_hypothesis(std::vector<int64_t> tokens, double log_prob, bool finished, const HypothesisRows& rows,
                           int64_t src_length, const SearchOptions& options);

/// The score of a hypothesis with T produced tokens: log_prob / lp(T) + coverage (the β term, already computed).
double score_of(double log_prob, int64_t length, double coverage, const SearchOptions& options);

}  // namespace attend::decode::detail
