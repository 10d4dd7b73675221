// Beam search: per source, at most K alive hypotheses as rows of one batched state, finished ones set aside; the
// rules are in search.hpp. Hypotheses share their prefixes through a tree of nodes (token + attention row), so a step
// copies no history.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/ops/weight_pack.hpp"
#include "search_common.hpp"

namespace attend::decode {

namespace {

constexpr const char* kOp = "beam_search";

struct Node {
  std::shared_ptr<const Node> parent;  // null: the first produced token
  int64_t token = 0;
  std::vector<float> attention;  // Ts_i (empty when rows are not kept)
  std::vector<float> captured;   // the token's captured row (empty without a capture)
};

struct Alive {
  std::shared_ptr<const Node> node;  // null before the first step
  double log_prob = 0.0;
};

struct Candidate {
  double log_prob;
  int64_t hyp;  // index in the source's alive list
  int64_t token;
};

// Best first: higher log-probability, then the earlier hypothesis, then the lower token id.
bool better(const Candidate& a, const Candidate& b) {
  if (a.log_prob != b.log_prob) return a.log_prob > b.log_prob;
  if (a.hyp != b.hyp) return a.hyp < b.hyp;
  return a.token < b.token;
}

struct Source {
  std::vector<Alive> alive;            // in row order
  std::vector<Hypothesis> finished;    // best first, at most K
  std::vector<Hypothesis> unfinished;  // at the length limit
  bool done = false;
};

// The node's path from the first produced token: tokens, the attention rows (T · Ts_i) and the captured rows.
void path_of(const Node* node, std::vector<int64_t>& tokens, std::vector<float>& rows, std::vector<float>& captured) {
  std::vector<const Node*> chain;
  for (; node != nullptr; node = node->parent.get()) chain.push_back(node);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    tokens.push_back((*it)->token);
    rows.insert(rows.end(), (*it)->attention.begin(), (*it)->attention.end());
    captured.insert(captured.end(), (*it)->captured.begin(), (*it)->captured.end());
  }
}

Hypothesis hypothesis_of(const Node* node, double log_prob, bool finished, int64_t src_length,
                         const std::vector<Tensor>& encoder, const SearchOptions& options) {
  std::vector<int64_t> tokens;
  std::vector<float> rows, captured;
  path_of(node, tokens, rows, captured);
  return detail::make_hypothesis(std::move(tokens), log_prob, finished, {rows, captured, encoder}, src_length,
                                 options);
}

bool by_score(const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; }

// Inserts h into the best-first list, keeping at most k (equal scores keep the earlier one first).
void keep_best(std::vector<Hypothesis>& list, Hypothesis h, int64_t k) {
  if (static_cast<int64_t>(list.size()) >= k && !(h.score > list.back().score)) return;
  list.insert(std::upper_bound(list.begin(), list.end(), h, by_score), std::move(h));
  if (static_cast<int64_t>(list.size()) > k) list.pop_back();
}

}  // namespace

std::vector<std::vector<Hypothesis>> beam_search(DecodingModel& model, const Tensor& src, const Tensor& src_lengths,
                                                 const SearchOptions& options) {
  const detail::SearchSetup setup = detail::check_and_setup(kOp, model, src, src_lengths, options);
  std::vector<std::vector<Hypothesis>> results(static_cast<size_t>(setup.batch));
  if (setup.batch == 0) return results;
  NoGradGuard no_grad;
  const WeightPackGuard packed;  // each step's few-row products reuse the weights packed at the first
  std::unique_ptr<DecoderState> state = detail::start_state(kOp, model, src, src_lengths, setup);
  const std::vector<std::vector<Tensor>> encoder = detail::encoder_attention_per_source(*state, setup);

  const int64_t K = options.beam_size, V = setup.vocab, Ts = setup.src_time;
  std::vector<Source> sources(static_cast<size_t>(setup.batch));
  for (auto& s : sources) s.alive.push_back({});
  Tensor prev = Tensor::full({setup.batch}, static_cast<double>(options.bos_id), DType::i64);  // [N]
  std::vector<Candidate> candidates;

  for (int64_t step = 0;; ++step) {
    const int64_t N = state->rows();
    const StepOutput out = detail::checked_step_output(kOp, state->step(prev), N, setup, step);
    const float* lp = out.log_probs.data<float>();  // [N, V]
    const float* at = out.attention.data<float>();  // [N, Ts]
    const int64_t T = step + 1;                     // tokens produced by every alive hypothesis after this step
    std::vector<int64_t> index, next_tokens;
    int64_t base = 0;  // first state row of the current source
    for (size_t i = 0; i < sources.size(); ++i) {
      Source& s = sources[i];
      if (s.done) continue;
      const int64_t n = static_cast<int64_t>(s.alive.size());
      const int64_t len = setup.src_lengths[i];
      candidates.clear();
      for (int64_t j = 0; j < n; ++j) {
        const float* p = lp + (base + j) * V;
        for (int64_t v = 0; v < V; ++v) {
          if (std::isnan(p[v])) detail::throw_nan(kOp, step, base + j, v);
          const double total = s.alive[static_cast<size_t>(j)].log_prob + static_cast<double>(p[v]);
          if (total != -INFINITY) candidates.push_back({total, j, v});
        }
      }
      // At most n ≤ K candidates end in EOS, so the 2K best hold K that do not, when that many exist.
      const auto top = candidates.begin() + std::min<int64_t>(2 * K, static_cast<int64_t>(candidates.size()));
      std::partial_sort(candidates.begin(), top, candidates.end(), better);
      std::vector<Alive> next;
      for (auto c = candidates.begin(); c != top && static_cast<int64_t>(next.size()) < K; ++c) {
        const bool eos = c->token == options.eos_id;
        if (eos && c - candidates.begin() >= K) continue;  // only EOS among the first K ranks finishes
        const int64_t row = base + c->hyp;
        auto node = std::make_shared<Node>();
        node->parent = s.alive[static_cast<size_t>(c->hyp)].node;
        node->token = c->token;
        if (setup.keep_rows) node->attention.assign(at + row * Ts, at + row * Ts + len);
        detail::append_captured_row(out, row, len, node->captured);
        if (eos) {
          keep_best(s.finished, hypothesis_of(node.get(), c->log_prob, true, len, encoder[i], options), K);
          continue;
        }
        next.push_back({std::move(node), c->log_prob});
        index.push_back(row);
        next_tokens.push_back(c->token);
      }
      base += n;
      // Stopping rules 1-3 of search.hpp.
      const int64_t max_len = setup.max_lengths[i];
      if (T >= max_len) {
        for (const Alive& a : next) {
          s.unfinished.push_back(hypothesis_of(a.node.get(), a.log_prob, false, len, encoder[i], options));
        }
        std::stable_sort(s.unfinished.begin(), s.unfinished.end(), by_score);
        s.done = true;
      } else if (next.empty()) {
        s.done = true;
      } else if (static_cast<int64_t>(s.finished.size()) >= K) {
        const double bound = next.front().log_prob / length_penalty(options.length_penalty, options.alpha, max_len);
        s.done = bound <= s.finished.back().score;
      }
      if (s.done) {
        index.resize(index.size() - next.size());
        next_tokens.resize(next_tokens.size() - next.size());
        next.clear();
      }
      s.alive = std::move(next);
    }
    if (index.empty()) break;
    bool identity = static_cast<int64_t>(index.size()) == N;
    for (size_t r = 0; identity && r < index.size(); ++r) identity = index[r] == static_cast<int64_t>(r);
    const int64_t rows = static_cast<int64_t>(index.size());
    if (!identity) state->reorder(Tensor::from_vector<int64_t>(index, {rows}));  // [N']
    prev = Tensor::from_vector<int64_t>(next_tokens, {rows});                   // [N']
  }

  for (size_t i = 0; i < sources.size(); ++i) {
    Source& s = sources[i];
    std::vector<Hypothesis>& list = results[i];
    for (auto* from : {&s.finished, &s.unfinished}) {
      for (Hypothesis& h : *from) {
        if (static_cast<int64_t>(list.size()) < options.nbest) list.push_back(std::move(h));
      }
    }
  }
  return results;
}

}  // namespace attend::decode
