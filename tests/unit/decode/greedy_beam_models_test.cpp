// Beam size 1 equals greedy (tokens, scores, attention) on randomly initialised Seq2Seq and Transformer models, and
// the hypotheses' attention rows are distributions over each source's true length.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "attend/decode/model_adapters.hpp"
#include "attend/decode/search.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend::decode {
namespace {

using attend::testing::all_close;

Tensor ids(const std::vector<int64_t>& v, const Shape& shape) { return Tensor::from_vector<int64_t>(v, shape); }

// Four sources of lengths 4, 2, 3, 1 (pad 0).
const Tensor kSrc = ids({4, 5, 6, 7, 8, 4, 0, 0, 5, 6, 7, 0, 8, 0, 0, 0}, {4, 4});
const Tensor kLengths = ids({4, 2, 3, 1}, {4});
constexpr int64_t kEos = 3;

// Raises the output bias of EOS so that some rows finish early and others run into the length limit.
void favour_eos(nn::Module& model, const std::string& bias_name, double amount) {
  for (const auto& [name, p] : model.named_parameters()) {
    if (name == bias_name) p.value().data<float>()[kEos] += static_cast<float>(amount);
  }
}

void expect_rows_are_distributions(const std::vector<std::vector<Hypothesis>>& result) {
  const auto lengths = kLengths.to_vector<int64_t>();
  for (size_t i = 0; i < result.size(); ++i) {
    for (const Hypothesis& h : result[i]) {
      const int64_t T = static_cast<int64_t>(h.tokens.size()) + (h.finished ? 1 : 0);
      ASSERT_EQ(h.attention.shape(), (Shape{T, lengths[i]})) << "source " << i;
      EXPECT_TRUE(all_close(sum(h.attention, {1}), Tensor::ones({T}), 1e-5)) << "source " << i;
    }
  }
}

// Greedy and beam 1 agree on every source; returns how many hypotheses finished (the rest hit the limit).
int expect_beam_one_equals_greedy(DecodingModel& model, const SearchOptions& options) {
  const auto greedy = greedy_search(model, kSrc, kLengths, options);
  const auto beam = beam_search(model, kSrc, kLengths, options);
  EXPECT_EQ(greedy.size(), 4u);
  EXPECT_EQ(beam.size(), 4u);
  int finished = 0;
  for (size_t i = 0; i < greedy.size() && i < beam.size(); ++i) {
    SCOPED_TRACE("source " + std::to_string(i));
    EXPECT_EQ(greedy[i].size(), 1u);
    EXPECT_EQ(beam[i].size(), 1u);
    if (greedy[i].empty() || beam[i].empty()) continue;
    const Hypothesis& g = greedy[i][0];
    const Hypothesis& b = beam[i][0];
    EXPECT_EQ(g.tokens, b.tokens);
    EXPECT_EQ(g.finished, b.finished);
    EXPECT_NEAR(g.log_prob, b.log_prob, 1e-6);
    EXPECT_NEAR(g.score, b.score, 1e-6);
    EXPECT_TRUE(all_close(g.attention, b.attention, 1e-6, 1e-5));
    finished += g.finished ? 1 : 0;
  }
  expect_rows_are_distributions(greedy);
  expect_rows_are_distributions(beam);
  return finished;
}

TEST(GreedyAndBeam, BeamOneEqualsGreedyOnSeq2Seq) {
  nn::Seq2Seq model({.src_vocab_size = 9, .tgt_vocab_size = 8, .embedding_dim = 4, .hidden_size = 8,
                     .coverage = true, .seed = 5});
  favour_eos(model, "decoder.linear_y.bias", 0.5);
  auto adapter = decoding_model(model);
  const int finished = expect_beam_one_equals_greedy(*adapter, {.max_length_ratio = 1.0, .max_length_offset = 2});
  EXPECT_GT(finished, 0);  // both kinds of ending were exercised
  EXPECT_LT(finished, 4);
}

TEST(GreedyAndBeam, BeamOneEqualsGreedyOnTransformer) {
  nn::Transformer model({.src_vocab = 9, .tgt_vocab = 8, .d_model = 8, .nhead = 2, .num_encoder_layers = 1,
                         .num_decoder_layers = 1, .dim_feedforward = 16, .dropout = 0.0, .seed = 8});
  favour_eos(model, "generator.bias", 0.5);
  auto adapter = decoding_model(model);
  const int finished = expect_beam_one_equals_greedy(*adapter, {.max_length_ratio = 1.0, .max_length_offset = 2});
  EXPECT_GT(finished, 0);
  EXPECT_LT(finished, 4);
}

// n-best lists with both penalties: finished first, sorted, distinct, scored by the formula of search.hpp.
void expect_sorted_distinct_nbest(DecodingModel& model) {
  const auto beam = beam_search(model, kSrc, kLengths,
                                {.beam_size = 4, .nbest = 3, .max_length_ratio = 1.0, .max_length_offset = 2,
                                 .length_penalty = LengthPenalty::gnmt, .coverage_penalty = 0.2});
  ASSERT_EQ(beam.size(), 4u);
  for (size_t i = 0; i < beam.size(); ++i) {
    SCOPED_TRACE("source " + std::to_string(i));
    ASSERT_EQ(beam[i].size(), 3u);
    for (size_t k = 1; k < beam[i].size(); ++k) {
      const Hypothesis &a = beam[i][k - 1], &b = beam[i][k];
      EXPECT_TRUE(a.finished || !b.finished) << "finished hypotheses come first";
      if (a.finished == b.finished) {
        EXPECT_GE(a.score, b.score);
      }
      for (size_t m = 0; m < k; ++m) {
        EXPECT_FALSE(beam[i][m].tokens == b.tokens && beam[i][m].finished == b.finished) << "duplicate";
      }
    }
    for (const Hypothesis& h : beam[i]) {
      const int64_t T = static_cast<int64_t>(h.tokens.size()) + (h.finished ? 1 : 0);
      const double expected = h.log_prob / std::pow((5.0 + static_cast<double>(T)) / 6.0, 0.6) +
                              coverage_penalty(h.attention, 0.2);
      EXPECT_NEAR(h.score, expected, 1e-6);
    }
  }
  expect_rows_are_distributions(beam);
}

TEST(GreedyAndBeam, NbestListsOfRealModelsAreSortedAndDistinct) {
  nn::Seq2Seq seq2seq({.src_vocab_size = 9, .tgt_vocab_size = 8, .embedding_dim = 4, .hidden_size = 8, .seed = 7});
  favour_eos(seq2seq, "decoder.linear_y.bias", 1.0);
  nn::Transformer transformer({.src_vocab = 9, .tgt_vocab = 8, .d_model = 8, .nhead = 2, .num_encoder_layers = 1,
                               .num_decoder_layers = 1, .dim_feedforward = 16, .dropout = 0.0, .seed = 8});
  favour_eos(transformer, "generator.bias", 0.5);
  {
    SCOPED_TRACE("seq2seq");
    expect_sorted_distinct_nbest(*decoding_model(seq2seq));
  }
  {
    SCOPED_TRACE("transformer");
    expect_sorted_distinct_nbest(*decoding_model(transformer));
  }
}

}  // namespace
}  // namespace attend::decode
