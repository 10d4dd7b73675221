// Greedy search: arg-max token per row, finished rows dropped from the state until none is left.
#include <cmath>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/ops/weight_pack.hpp"
#include "search_common.hpp"

namespace attend::decode {

namespace {

constexpr const char* kOp = "greedy_search";

struct Row {
  std::vector<int64_t> tokens;  // produced, EOS included when finished
  std::vector<float> attention;  // T · Ts_i
  std::vector<float> captured;   // one captured row per token (empty without a capture)
  double log_prob = 0.0;
};

}  // namespace

std::vector<std::vector<Hypothesis>> greedy_search(DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                                                   const SearchOptions& options) {
  const detail::SearchSetup setup = detail::check_and_setup(kOp, model, src, src_lengths, options);
  std::vector<std::vector<Hypothesis>> results(static_cast<size_t>(setup.batch));
  if (setup.batch == 0) return results;
  NoGradGuard no_grad;
  const WeightPackGuard packed;  // each step's few-row products reuse the weights packed at the first
  std::unique_ptr<DecoderState> state = detail::start_state(kOp, model, src, src_lengths, setup);
  const std::vector<std::vector<Tensor>> encoder = detail::encoder_attention_per_source(*state, setup);

  std::vector<Row> rows(static_cast<size_t>(setup.batch));
  std::vector<int64_t> active(static_cast<size_t>(setup.batch));  // source of each state row
  for (int64_t i = 0; i < setup.batch; ++i) active[static_cast<size_t>(i)] = i;
  Tensor prev = Tensor::full({setup.batch}, static_cast<double>(options.bos_id), DType::i64);  // [N]
  const int64_t V = setup.vocab, Ts = setup.src_time;

  for (int64_t step = 0; !active.empty(); ++step) {
    const int64_t N = static_cast<int64_t>(active.size());
    const StepOutput out = detail::checked_step_output(kOp, state->step(prev), N, setup, step);
    const float* lp = out.log_probs.data<float>();  // [N, V]
    const float* at = out.attention.data<float>();  // [N, Ts]
    std::vector<int64_t> keep, next_tokens, next_active;
    for (int64_t r = 0; r < N; ++r) {
      const int64_t i = active[static_cast<size_t>(r)];
      Row& row = rows[static_cast<size_t>(i)];
      const float* p = lp + r * V;
      int64_t best = 0;
      for (int64_t v = 0; v < V; ++v) {
        if (std::isnan(p[v])) detail::throw_nan(kOp, step, r, v);
        if (p[v] > p[best]) best = v;
      }
      row.tokens.push_back(best);
      row.log_prob += static_cast<double>(p[best]);
      const int64_t len = setup.src_lengths[static_cast<size_t>(i)];
      if (setup.keep_rows) row.attention.insert(row.attention.end(), at + r * Ts, at + r * Ts + len);
      detail::append_captured_row(out, r, len, row.captured);
      const bool finished = best == options.eos_id;
      const int64_t T = static_cast<int64_t>(row.tokens.size());
      if (finished || T >= setup.max_lengths[static_cast<size_t>(i)]) {
        results[static_cast<size_t>(i)].push_back(detail::make_hypothesis(
            std::move(row.tokens), row.log_prob, finished,
            {row.attention, row.captured, encoder[static_cast<size_t>(i)]}, len, options));
        row.attention = {};
        row.captured = {};
      } else {
        keep.push_back(r);
        next_tokens.push_back(best);
        next_active.push_back(i);
      }
    }
    if (next_active.empty()) break;
    if (next_active.size() != active.size()) {
      state->reorder(Tensor::from_vector<int64_t>(keep, {static_cast<int64_t>(keep.size())}));  // [N'] rows
    }
    active = std::move(next_active);
    prev = Tensor::from_vector<int64_t>(next_tokens, {static_cast<int64_t>(next_tokens.size())});  // [N']
  }
  return results;
}

}  // namespace attend::decode
