// Shared parts of greedy and beam search: argument checks, limits, penalties and scored hypotheses; search().
#include "search_common.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "attend/core/error.hpp"

namespace attend::decode {

namespace {

constexpr double kCoverageFloor = 1e-20;

// β · Σ_i log(max(min(Σ_t a[t, i], 1), floor)) over a row-major [T, S] block.
double coverage_of(const float* attention, int64_t time, int64_t sources, double beta) {
  if (beta == 0.0) return 0.0;
  double total = 0.0;
  for (int64_t i = 0; i < sources; ++i) {
    double sum = 0.0;
    for (int64_t t = 0; t < time; ++t) sum += attention[t * sources + i];
    total += std::log(std::max(std::min(sum, 1.0), kCoverageFloor));
  }
  return beta * total;
}

std::string dtype_or_undefined(const Tensor& t) {
  return t.defined() ? std::string(dtype_name(t.dtype())) : std::string("undefined");
}

}  // namespace

const char* length_penalty_name(LengthPenalty kind) {
  switch (kind) {
    case LengthPenalty::none: return "none";
    case LengthPenalty::gnmt: return "gnmt";
    case LengthPenalty::average: return "average";
  }
  return "unknown";
}

LengthPenalty parse_length_penalty(const std::string& name) {
  if (name == "none") return LengthPenalty::none;
  if (name == "gnmt") return LengthPenalty::gnmt;
  if (name == "average") return LengthPenalty::average;
  throw Error(fmt::format("parse_length_penalty: unknown length penalty '{}' (expected none, gnmt or average)", name));
}

double length_penalty(LengthPenalty kind, double alpha, int64_t length) {
  ATTEND_CHECK(length >= 1, "length_penalty: length must be ≥ 1, got {}", length);
  switch (kind) {
    case LengthPenalty::none: return 1.0;
    case LengthPenalty::gnmt: return std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
    case LengthPenalty::average: return static_cast<double>(length);
  }
  return 1.0;
}

double coverage_penalty(const Tensor& attention, double beta) {
  ATTEND_CHECK(attention.defined() && attention.dim() == 2 &&
                   (attention.dtype() == DType::f32 || attention.dtype() == DType::f64),
               "coverage_penalty: attention must be a floating [T, S] tensor, got {} with shape {}",
               dtype_or_undefined(attention), shape_str(attention.shape()));
  const Tensor a = attention.to(DType::f32).contiguous();
  return coverage_of(a.data<float>(), a.size(0), a.size(1), beta);
}

std::vector<std::vector<Hypothesis>> search(DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                                            const SearchOptions& options) {
  if (options.beam_size == 1 && options.nbest == 1) return greedy_search(model, src, src_lengths, options);
  return beam_search(model, src, src_lengths, options);
}

namespace detail {

SearchSetup check_and_setup(const char* op, const DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                            const SearchOptions& o) {
  ATTEND_CHECK(o.beam_size >= 1, "{}: beam_size must be ≥ 1, got {}", op, o.beam_size);
  ATTEND_CHECK(o.nbest >= 1 && o.nbest <= o.beam_size, "{}: nbest must be in [1, beam_size = {}], got {}", op,
               o.beam_size, o.nbest);
  ATTEND_CHECK(std::isfinite(o.max_length_ratio) && o.max_length_ratio >= 0.0,
               "{}: max_length_ratio must be finite and ≥ 0, got {}", op, o.max_length_ratio);
  ATTEND_CHECK(o.max_length >= 0, "{}: max_length must be ≥ 0 (0: no cap), got {}", op, o.max_length);
  ATTEND_CHECK(std::isfinite(o.alpha) && o.alpha >= 0.0, "{}: alpha (length penalty) must be finite and ≥ 0, got {}",
               op, o.alpha);
  ATTEND_CHECK(std::isfinite(o.coverage_penalty) && o.coverage_penalty >= 0.0,
               "{}: coverage_penalty must be finite and ≥ 0, got {}", op, o.coverage_penalty);
  SearchSetup s;
  s.vocab = model.vocab_size();
  ATTEND_CHECK(s.vocab >= 1, "{}: the model's vocabulary size must be ≥ 1, got {}", op, s.vocab);
  ATTEND_CHECK(o.bos_id >= 0 && o.bos_id < s.vocab, "{}: bos_id must be in [0, V = {}), got {}", op, s.vocab, o.bos_id);
  ATTEND_CHECK(o.eos_id >= 0 && o.eos_id < s.vocab, "{}: eos_id must be in [0, V = {}), got {}", op, s.vocab, o.eos_id);

  ATTEND_CHECK(src.defined() && src.dtype() == DType::i64 && src.dim() == 2 && src.size(1) >= 1,
               "{}: src must be i64 [B, Ts] with Ts ≥ 1, got {} with shape {}", op, dtype_or_undefined(src),
               shape_str(src.shape()));
  s.batch = src.size(0);
  s.src_time = src.size(1);
  if (src_lengths.defined()) {
    ATTEND_CHECK(src_lengths.dtype() == DType::i64 && src_lengths.dim() == 1 && src_lengths.size(0) == s.batch,
                 "{}: src_lengths must be i64 [B] = [{}] (src shape {}), got {} with shape {}", op, s.batch,
                 shape_str(src.shape()), dtype_name(src_lengths.dtype()), shape_str(src_lengths.shape()));
    s.src_lengths = src_lengths.to_vector<int64_t>();
  } else {
    s.src_lengths.assign(static_cast<size_t>(s.batch), s.src_time);
  }
  for (int64_t i = 0; i < s.batch; ++i) {
    const int64_t len = s.src_lengths[static_cast<size_t>(i)];
    ATTEND_CHECK(len >= 1 && len <= s.src_time, "{}: src_lengths[{}] must be in [1, Ts = {}], got {}", op, i,
                 s.src_time, len);
    int64_t max_len = static_cast<int64_t>(std::floor(o.max_length_ratio * static_cast<double>(len))) +
                      o.max_length_offset;
    if (o.max_length > 0) max_len = std::min(max_len, o.max_length);
    ATTEND_CHECK(max_len >= 1,
                 "{}: the maximum output length of source {} is {} (max_length_ratio {} · length {} + "
                 "max_length_offset {}); it must be ≥ 1",
                 op, i, max_len, o.max_length_ratio, len, o.max_length_offset);
    s.max_lengths.push_back(max_len);
  }
  s.keep_rows = o.keep_attention || o.coverage_penalty != 0.0;
  s.capture = o.capture;
  return s;
}

std::unique_ptr<DecoderState> start_state(const char* op, DecodingModel& model, const Tensor& src,
                                          const Tensor& src_lengths, const SearchSetup& setup) {
  std::unique_ptr<DecoderState> state = setup.capture.empty() ? model.start(src, src_lengths)
                                                              : model.start_capturing(src, src_lengths, setup.capture);
  ATTEND_CHECK(state && state->rows() == setup.batch,
               "{}: the model's start() must give a state of B = {} rows, got {}", op, setup.batch,
               state ? state->rows() : 0);
  return state;
}

StepOutput checked_step_output(const char* op, StepOutput out, int64_t rows, const SearchSetup& setup, int64_t step) {
  const Tensor& lp = out.log_probs;
  const Tensor& at = out.attention;
  ATTEND_CHECK(lp.defined() && lp.dtype() == DType::f32 && lp.dim() == 2 && lp.size(0) == rows &&
                   lp.size(1) == setup.vocab,
               "{}: step {}: the model's log_probs must be f32 [N, V] = [{}, {}], got {} with shape {}", op, step, rows,
               setup.vocab, dtype_or_undefined(lp), shape_str(lp.shape()));
  ATTEND_CHECK(at.defined() && at.dtype() == DType::f32 && at.dim() == 2 && at.size(0) == rows &&
                   at.size(1) == setup.src_time,
               "{}: step {}: the model's attention must be f32 [N, Ts] = [{}, {}], got {} with shape {}", op, step,
               rows, setup.src_time, dtype_or_undefined(at), shape_str(at.shape()));
  out.log_probs = lp.contiguous();
  out.attention = at.contiguous();
  check_captured(op, out, rows, setup, step);
  return out;
}

void throw_nan(const char* op, int64_t step, int64_t row, int64_t token) {
  throw Error(fmt::format("{}: step {}: the model returned a NaN log-probability (row {}, token {})", op, step, row,
                          token));
}

double score_of(double log_prob, int64_t length, double coverage, const SearchOptions& options) {
  return log_prob / length_penalty(options.length_penalty, options.alpha, length) + coverage;
}

Hypothesis make_hypothesis(std::vector<int64_t> tokens, double log_prob, bool finished, const HypothesisRows& r,
                           int64_t src_length, const SearchOptions& options) {
  const std::vector<float>& rows = r.attention;
  const int64_t T = static_cast<int64_t>(tokens.size());  // produced tokens, EOS included
  const double coverage = rows.empty() ? 0.0 : coverage_of(rows.data(), T, src_length, options.coverage_penalty);
  Hypothesis h;
  h.log_prob = log_prob;
  h.score = score_of(log_prob, T, coverage, options);
  h.finished = finished;
  if (finished) tokens.pop_back();
  h.tokens = std::move(tokens);
  if (options.keep_attention) h.attention = Tensor::from_vector<float>(rows, {T, src_length});  // [T, Ts_i]
  if (!options.capture.empty()) h.captured = captured_of(r.captured, T, src_length, options.capture, r.encoder);
  return h;
}

}  // namespace detail

}  // namespace attend::decode
