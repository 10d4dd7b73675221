// Greedy and beam search over a DecodingModel (decoder_state.hpp), batched over B sources, with n-best lists, length
// and coverage penalties (Wu et al. 2016, "Google's Neural Machine Translation System", §7) and the attention of each
// hypothesis kept for explanation and alignment.
//
// Greedy: every row takes the arg-max token (the lowest id on ties) until it emits EOS or reaches its maximum length;
// finished rows are dropped from the state (reorder) and stop growing; the search ends when every row has finished.
//
// Beam (K = beam_size; as fairseq / OpenNMT-py / Marian): each source starts with one hypothesis (BOS). At every step
// the candidates of a source are the K·V one-token extensions of its alive hypotheses (at most K), ranked by summed
// log-probability (ties: earlier hypothesis, then lower token id). Walking the ranking, a candidate ending in EOS that
// ranks among the first K is finished (its score computed) and kept when it is among the K best finished; the first
// K candidates not ending in EOS stay alive. Rows are reordered so the state follows the alive hypotheses.
// Stopping rule of a source (checked after each step), the first that holds:
//   1. it has produced its maximum length L_i: its alive hypotheses become unfinished hypotheses (finished = false);
//   2. no hypothesis is alive;
//   3. it has K finished hypotheses and even the best alive one cannot beat the worst of them: the upper bound of an
//      alive hypothesis's final score is log_prob / lp(L_i) (log-probabilities only fall as tokens are added, and
//      lp(|y|) grows with |y| up to L_i; lp ≡ 1 without a length penalty) plus 0 for the coverage penalty (which is
//      ≤ 0); the source stops when that bound ≤ the K-th best finished score. The bound is exact, never a heuristic.
// The n-best list of a source is its finished hypotheses by score, then (when fewer than nbest finished) its
// unfinished ones by score.
//
// Scores: |y| = the number of produced tokens, EOS included (the attention rows T);
//   score = log_prob / lp(|y|) + cp,   lp: none 1; gnmt ((5 + |y|) / 6)^α; average |y|;
//   cp = β · Σ_i log(min(Σ_t α_t,i, 1)) over the true source positions i (0 when β = 0; the sum is floored at 1e-20
//   so a never-attended position gives a large finite penalty instead of -inf).
// Maximum length of source i (tokens, EOS included): L_i = floor(max_length_ratio · Ts_i) + max_length_offset, capped
// by max_length when > 0.
//
// Shapes: src i64 [B, Ts], src_lengths i64 [B] (undefined: all Ts) -> B lists of hypotheses, each with tokens [T or
// T-1] and attention f32 [T, Ts_i]. With options.capture, each hypothesis also keeps the selected layers and heads
// of its attention (Hypothesis::captured), row by row as it was decoded, so beam reordering never mixes them up.
//
// Usage:
//   auto model = decode::decoding_model(seq2seq);                           // model_adapters.hpp
//   auto best = decode::search(*model, batch.src, batch.src_lengths, {.beam_size = 5, .nbest = 2});
//   for (int64_t id : best[0][0].tokens) ...                                // the best translation of source 0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attend/decode/decoder_state.hpp"
#include "attend/tensor/tensor.hpp"

namespace attend::decode {

enum class LengthPenalty { none, gnmt, average };

/// "none", "gnmt", "average".
const char* length_penalty_name(LengthPenalty kind);
/// Inverse of length_penalty_name; throws listing the names.
LengthPenalty parse_length_penalty(const std::string& name);

struct SearchOptions {
  int64_t beam_size = 1;  ///< K ≥ 1
  int64_t nbest = 1;      ///< hypotheses returned per source, 1 ≤ nbest ≤ beam_size
  int64_t bos_id = 2;     ///< data/batch.hpp's ids
  int64_t eos_id = 3;
  double max_length_ratio = 2.0;  ///< max output tokens per source = floor(ratio·Ts_i) + offset (≥ 0)
  int64_t max_length_offset = 5;
  int64_t max_length = 0;         ///< hard cap if > 0
  LengthPenalty length_penalty = LengthPenalty::none;
  double alpha = 0.6;             ///< GNMT: ((5 + |y|) / 6)^α  (α ≥ 0)
  double coverage_penalty = 0.0;  ///< GNMT β ≥ 0: β·Σ_i log(min(Σ_t α_t,i, 1)) over source positions
  bool keep_attention = true;     ///< false: Hypothesis::attention stays undefined
  nn::AttentionCapture capture = {};  ///< which attention weights each hypothesis keeps (empty: none)
};

struct Hypothesis {
  std::vector<int64_t> tokens;  ///< produced tokens, without BOS and without the final EOS
  double log_prob = 0;          ///< sum of log-probabilities including EOS when finished
  double score = 0;             ///< log_prob with the penalties applied (what ranks hypotheses)
  bool finished = false;        ///< ended with EOS (false: hit the length limit)
  Tensor attention;             ///< f32 [T, Ts_i]: one row per produced token incl. EOS, the true source length only
  /// options.capture's weights per selected layer: decoder_self [h, T, T] (zero above the diagonal; column j is the
  /// token fed at step j, BOS first), cross and rnn [h, T, Ts_i], encoder_self [h, Ts_i, Ts_i] (its source's).
  nn::CapturedAttention captured = {};
};

/// lp(length) of the file comment (1 for none). Throws when length < 1.
double length_penalty(LengthPenalty kind, double alpha, int64_t length);
/// β · Σ_i log(max(min(Σ_t attention[t, i], 1), 1e-20)) for attention f32 [T, S]; 0 when beta = 0.
double coverage_penalty(const Tensor& attention, double beta);

/// Per source (B), its hypotheses best first (nbest of them, fewer only when the vocabulary cannot supply them).
/// Greedy gives exactly 1. Throws naming the argument when src is not i64 [B, Ts], src_lengths is not i64 [B] with
/// values in [1, Ts], an option is out of range (beam_size < 1, nbest outside [1, beam_size], a negative ratio,
/// max_length, α or β, bos/eos outside the vocabulary, a source whose maximum length is below 1), or when the model
/// returns outputs of the wrong shape or NaN log-probabilities.
std::vector<std::vector<Hypothesis>> greedy_search(DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                                                   const SearchOptions& options);
std::vector<std::vector<Hypothesis>> beam_search(DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                                                 const SearchOptions& options);
/// greedy_search when beam_size == 1 and nbest == 1, else beam_search.
std::vector<std::vector<Hypothesis>> search(DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                                            const SearchOptions& options);

}  // namespace attend::decode
