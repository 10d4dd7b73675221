// encode_corpus (tokenize, filter by length, map to ids) and make_batches (shuffle, bucket, cut by token budget).
#include "attend/data/batcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "attend/core/error.hpp"
#include "attend/core/rng.hpp"

namespace attend::data {

namespace {

// The RNG stream of the data order: "data" in the high 32 bits, the epoch in the low ones, so it never meets the
// streams of weight initialization or dropout that share the seed.
constexpr uint64_t kDataStream = uint64_t{0x64617461} << 32;

void skip(CorpusReport* report, const std::string& where, std::string reason, bool too_long) {
  if (report == nullptr) return;
  ++(too_long ? report->too_long : report->empty);
  --report->kept;
  report->skipped.push_back({where, std::move(reason)});
}

// Fisher-Yates with the counter-based RNG: the permutation is a pure function of (seed, stream).
template <class T>
void shuffle(std::vector<T>& items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.next_below(i));
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace

std::vector<EncodedExample> encode_corpus(const ParallelCorpus& corpus, const Tokenizer& src_tokenizer,
                                          const Tokenizer& tgt_tokenizer, const Vocab& src_vocab,
                                          const Vocab& tgt_vocab, int64_t max_length, CorpusReport* report) {
  ATTEND_CHECK(corpus.src.size() == corpus.tgt.size(),
               "encode_corpus: the corpus has {} sources but {} targets; they must be aligned", corpus.src.size(),
               corpus.tgt.size());
  ATTEND_CHECK(max_length >= 0, "encode_corpus: max_length must be >= 0 (0: no limit), got {}", max_length);
  std::vector<EncodedExample> out;
  out.reserve(corpus.src.size());
  for (size_t i = 0; i < corpus.src.size(); ++i) {
    const std::string where = i < corpus.where.size() ? corpus.where[i] : fmt::format("example {}", i + 1);
    const std::vector<std::string> src = src_tokenizer.encode(corpus.src[i]);
    const std::vector<std::string> tgt = tgt_tokenizer.encode(corpus.tgt[i]);
    if (src.empty() || tgt.empty()) {
      skip(report, where, src.empty() ? "empty source after tokenization" : "empty target after tokenization", false);
      continue;
    }
    const int64_t longest = static_cast<int64_t>(std::max(src.size(), tgt.size()));
    if (max_length > 0 && longest > max_length) {
      skip(report, where, fmt::format("too long ({} > {} tokens)", longest, max_length), true);
      continue;
    }
    out.push_back({src_vocab.encode(src), tgt_vocab.encode(tgt)});
  }
  return out;
}

std::vector<std::vector<int64_t>> make_batches(const std::vector<EncodedExample>& examples,
                                               const BatchingOptions& options, int64_t epoch) {
  ATTEND_CHECK(options.batch_tokens >= 1, "make_batches: batch_tokens must be >= 1, got {}", options.batch_tokens);
  ATTEND_CHECK(options.max_batch_size >= 1, "make_batches: max_batch_size must be >= 1, got {}",
               options.max_batch_size);
  ATTEND_CHECK(options.bucket_window >= 0, "make_batches: bucket_window must be >= 0 (0: 100 · max_batch_size), got {}",
               options.bucket_window);
  ATTEND_CHECK(epoch >= 0, "make_batches: epoch must be >= 0, got {}", epoch);
  const int64_t n = static_cast<int64_t>(examples.size());
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), int64_t{0});
  Rng rng(options.seed, kDataStream + static_cast<uint64_t>(epoch));
  if (options.shuffle) shuffle(order, rng);

  const auto src_len = [&](int64_t i) { return static_cast<int64_t>(examples[i].src.size()); };
  const auto tgt_len = [&](int64_t i) { return static_cast<int64_t>(examples[i].tgt.size()); };
  if (options.bucketing) {
    const int64_t window = options.bucket_window > 0 ? options.bucket_window : 100 * options.max_batch_size;
    for (int64_t start = 0; start < n; start += window) {
      const auto first = order.begin() + start, last = order.begin() + std::min(n, start + window);
      std::stable_sort(first, last, [&](int64_t a, int64_t b) {
        return src_len(a) != src_len(b) ? src_len(a) < src_len(b) : tgt_len(a) < tgt_len(b);
      });
    }
  }

  std::vector<std::vector<int64_t>> batches;
  std::vector<int64_t> current;
  int64_t max_src = 0, max_tgt = 0;
  for (const int64_t i : order) {
    const int64_t next_src = std::max(max_src, src_len(i)), next_tgt = std::max(max_tgt, tgt_len(i));
    const int64_t next_size = static_cast<int64_t>(current.size()) + 1;
    const bool fits = next_size <= options.max_batch_size && next_size * (next_src + next_tgt + 1) <= options.batch_tokens;
    if (!current.empty() && !fits) {
      batches.push_back(std::move(current));
      current.clear();
      max_src = src_len(i);
      max_tgt = tgt_len(i);
    } else {
      max_src = next_src;
      max_tgt = next_tgt;
    }
    current.push_back(i);
  }
  if (!current.empty()) batches.push_back(std::move(current));
  if (options.shuffle) shuffle(batches, rng);
  return batches;
}

}  // namespace attend::data
