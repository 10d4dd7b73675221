// Translator: batches of sources through greedy or beam search (see the header).
#include "attend/train/translator.hpp"

#include <algorithm>
#include <numeric>

#include "attend/autograd/var.hpp"
#include "attend/data/batch.hpp"

namespace attend::train {
namespace {

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
}

}  // namespace

std::vector<Translations> translate(ModelBundle& bundle, const std::vector<std::string>& sources,
                                    const decode::SearchOptions& options, int64_t batch_size) {
  ATTEND_CHECK(batch_size >= 1, "translate: batch_size must be >= 1, got {}", batch_size);
  NoGradGuard no_grad;
  bundle.model->module().eval();
  std::vector<Translations> out(sources.size());
  std::vector<std::vector<int64_t>> ids(sources.size());
  std::vector<size_t> order;
  for (size_t i = 0; i < sources.size(); ++i) {
    out[i].source = sources[i];
    if (blank(sources[i])) continue;
    out[i].source_pieces = bundle.source_pieces(sources[i]);
    ids[i] = bundle.src_vocab.encode(out[i].source_pieces);
    if (!ids[i].empty()) order.push_back(i);
  }
  // Longest first, so each batch pads little; ties keep input order.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() > ids[b].size(); });
  auto decoder = bundle.model->decoding();
  for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(batch_size)) {
    size_t end = std::min(order.size(), begin + static_cast<size_t>(batch_size));
    const auto B = static_cast<int64_t>(end - begin);
    const auto Ts = static_cast<int64_t>(ids[order[begin]].size());
    std::vector<int64_t> src(static_cast<size_t>(B * Ts), data::kPadId), lengths(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
      const auto& x = ids[order[begin + static_cast<size_t>(b)]];
      std::copy(x.begin(), x.end(), src.begin() + b * Ts);
      lengths[static_cast<size_t>(b)] = static_cast<int64_t>(x.size());
    }
    auto results = decode::search(*decoder, Tensor::from_vector(src, {B, Ts}), Tensor::from_vector(lengths, {B}),
                                  options);
    for (int64_t b = 0; b < B; ++b) {
      Translations& t = out[order[begin + static_cast<size_t>(b)]];
      for (const decode::Hypothesis& h : results[static_cast<size_t>(b)]) {
        TranslatedHypothesis th;
        th.text = bundle.decode_target(h.tokens);
        std::vector<int64_t> produced = h.tokens;
        if (h.finished) produced.push_back(data::kEosId);
        th.target_pieces = bundle.target_pieces(produced);
        th.score = h.score;
        th.log_prob = h.log_prob;
        th.attention = h.attention;
        th.captured = h.captured;
        t.hypotheses.push_back(std::move(th));
      }
    }
  }
  return out;
}

}  // namespace attend::train
