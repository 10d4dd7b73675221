// A hand-built DecodingModel for the search tests: the next-token distribution and the attention row are looked up
// by the prefix produced so far, so every hypothesis's probability and attention is known by hand.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "attend/decode/decoder_state.hpp"

namespace attend::decode::testing {

// Ids: 0 pad, 1 unk, 2 BOS, 3 EOS (data/batch.hpp), then ordinary tokens.
inline constexpr int64_t kEos = 3;
inline constexpr int64_t kA = 4;
inline constexpr int64_t kB = 5;
inline constexpr int64_t kC = 6;
inline constexpr int64_t kToyVocab = 7;

using Prefix = std::vector<int64_t>;
/// Token -> probability; tokens left out have probability 0 (log-probability -inf).
using Distribution = std::map<int64_t, double>;

struct ToyTable {
  std::map<Prefix, Distribution> next;  ///< by the produced prefix (no BOS)
  /// Looked up first, by the source's true length, then by prefix: lets the sources of a batch differ.
  std::map<int64_t, std::map<Prefix, Distribution>> next_by_length;
  Distribution otherwise = {{kEos, 1.0}};
  /// Attention row for a prefix over the first `length` source positions (the rest of the Ts row stays 0);
  /// default uniform.
  std::function<std::vector<float>(const Prefix&, int64_t length)> attention;
  bool nan_at_second_step = false;  ///< makes step 2 return NaN log-probabilities
  bool wrong_vocab = false;         ///< makes step() return [N, V + 1] log-probabilities
};

class ToyState final : public DecoderState {
 public:
  ToyState(const ToyTable& table, std::vector<int64_t> lengths, int64_t src_time)
      : table_(table), lengths_(std::move(lengths)), prefixes_(lengths_.size()), src_time_(src_time) {}

  StepOutput step(const Tensor& prev_tokens) override {
    const int64_t N = rows();
    const auto prev = prev_tokens.to_vector<int64_t>();
    if (steps_ > 0) {
      for (int64_t r = 0; r < N; ++r) prefixes_[r].push_back(prev[r]);
    }
    ++steps_;
    const int64_t V = table_.wrong_vocab ? kToyVocab + 1 : kToyVocab;
    std::vector<float> lp(static_cast<size_t>(N * V), -std::numeric_limits<float>::infinity());
    std::vector<float> at(static_cast<size_t>(N * src_time_), 0.0f);
    for (int64_t r = 0; r < N; ++r) {
      const Distribution& d = lookup(prefixes_[r], lengths_[r]);
      for (const auto& [token, p] : d) lp[r * V + token] = static_cast<float>(std::log(p));
      if (table_.nan_at_second_step && steps_ == 2) lp[r * V] = std::nanf("");
      const int64_t len = lengths_[r];
      std::vector<float> row = table_.attention ? table_.attention(prefixes_[r], len)
                                                : std::vector<float>(len, 1.0f / static_cast<float>(len));
      for (int64_t i = 0; i < len; ++i) at[r * src_time_ + i] = row[i];
    }
    return {Tensor::from_vector<float>(lp, {N, V}), Tensor::from_vector<float>(at, {N, src_time_})};
  }

  void reorder(const Tensor& index) override {
    std::vector<int64_t> lengths;
    std::vector<Prefix> prefixes;
    for (int64_t r : index.to_vector<int64_t>()) {
      lengths.push_back(lengths_[r]);
      prefixes.push_back(prefixes_[r]);
    }
    lengths_ = std::move(lengths);
    prefixes_ = std::move(prefixes);
  }
  int64_t rows() const override { return static_cast<int64_t>(prefixes_.size()); }

 private:
  const Distribution& lookup(const Prefix& prefix, int64_t length) const {
    if (auto by = table_.next_by_length.find(length); by != table_.next_by_length.end()) {
      if (auto it = by->second.find(prefix); it != by->second.end()) return it->second;
    }
    auto it = table_.next.find(prefix);
    return it == table_.next.end() ? table_.otherwise : it->second;
  }

  const ToyTable& table_;
  std::vector<int64_t> lengths_;
  std::vector<Prefix> prefixes_;
  int64_t src_time_;
  int64_t steps_ = 0;
};

class ToyModel final : public DecodingModel {
 public:
  explicit ToyModel(ToyTable table) : table_(std::move(table)) {}
  std::unique_ptr<DecoderState> start(const Tensor& src, const Tensor& src_lengths) override {
    ++starts_;
    std::vector<int64_t> lengths = src_lengths.defined() ? src_lengths.to_vector<int64_t>()
                                                         : std::vector<int64_t>(src.size(0), src.size(1));
    return std::make_unique<ToyState>(table_, std::move(lengths), src.size(1));
  }
  int64_t vocab_size() const override { return kToyVocab; }
  int64_t starts() const { return starts_; }

 private:
  ToyTable table_;
  int64_t starts_ = 0;
};

/// src i64 [B, Ts] of ones (the toy ignores the tokens) and lengths i64 [B].
inline std::pair<Tensor, Tensor> toy_batch(const std::vector<int64_t>& lengths, int64_t src_time) {
  const int64_t B = static_cast<int64_t>(lengths.size());
  return {Tensor::full({B, src_time}, 1.0, DType::i64), Tensor::from_vector<int64_t>(lengths, {B})};
}

}  // namespace attend::decode::testing
