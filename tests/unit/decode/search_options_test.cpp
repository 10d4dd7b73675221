// Search arguments: length penalty values and names, greedy on a batch, and every error naming what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/decode/search.hpp"
#include "test_util.hpp"
#include "toy_model.hpp"

namespace attend::decode {
namespace {

using namespace attend::decode::testing;  // NOLINT: the toy's ids and helpers
using attend::testing::error_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LengthPenalty, ValuesAndNames) {
  EXPECT_EQ(length_penalty(LengthPenalty::none, 0.6, 7), 1.0);
  EXPECT_NEAR(length_penalty(LengthPenalty::gnmt, 0.6, 7), std::pow(12.0 / 6.0, 0.6), 1e-12);
  EXPECT_EQ(length_penalty(LengthPenalty::gnmt, 0.6, 1), 1.0);  // (5 + 1) / 6
  EXPECT_EQ(length_penalty(LengthPenalty::average, 0.6, 7), 7.0);
  EXPECT_THAT(error_of([] { length_penalty(LengthPenalty::gnmt, 0.6, 0); }), HasSubstr("length must be ≥ 1, got 0"));
  for (auto kind : {LengthPenalty::none, LengthPenalty::gnmt, LengthPenalty::average}) {
    EXPECT_EQ(parse_length_penalty(length_penalty_name(kind)), kind);
  }
  EXPECT_THAT(error_of([] { parse_length_penalty("wu"); }),
              HasSubstr("unknown length penalty 'wu' (expected none, gnmt or average)"));
  EXPECT_THAT(error_of([] { coverage_penalty(Tensor::zeros({3}), 1.0); }),
              HasSubstr("coverage_penalty: attention must be a floating [T, S] tensor, got f32 with shape [3]"));
}

TEST(GreedySearch, BatchRowsFinishAtTheirOwnTime) {
  // Source 0 (length 1) says "a EOS"; source 1 (length 2) says "b b b EOS": row 0 finishes at step 1 and is
  // dropped from the state while row 1 goes on.
  ToyTable t;
  t.next_by_length[1][{}] = {{kA, 0.6}, {kB, 0.4}};
  t.next_by_length[1][{kA}] = {{kEos, 0.9}, {kB, 0.1}};
  t.next_by_length[2][{kB, kB, kB}] = {{kEos, 0.7}, {kB, 0.3}};
  t.otherwise = {{kB, 0.8}, {kEos, 0.2}};
  ToyModel model(t);
  const auto [src, lengths] = toy_batch({1, 2}, 2);
  const auto result = greedy_search(model, src, lengths, {.max_length_ratio = 2.0, .max_length_offset = 3});
  ASSERT_EQ(result.size(), 2u);
  ASSERT_EQ(result[0].size(), 1u);
  EXPECT_THAT(result[0][0].tokens, ElementsAre(kA));
  EXPECT_TRUE(result[0][0].finished);
  EXPECT_NEAR(result[0][0].log_prob, std::log(0.6 * 0.9), 1e-6);
  EXPECT_EQ(result[0][0].attention.shape(), (Shape{2, 1}));  // a, EOS over the one source position
  EXPECT_THAT(result[1][0].tokens, ElementsAre(kB, kB, kB));
  EXPECT_TRUE(result[1][0].finished);
  EXPECT_NEAR(result[1][0].log_prob, std::log(0.8 * 0.8 * 0.8 * 0.7), 1e-6);
  EXPECT_EQ(result[1][0].attention.shape(), (Shape{4, 2}));
}

TEST(GreedySearch, UnfinishedRowsStopAtTheirLimitWhileOthersFinish) {
  ToyTable t;
  t.next[{}] = {{kA, 0.6}, {kEos, 0.4}};
  t.otherwise = {{kA, 0.6}, {kEos, 0.4}};
  ToyModel model(t);  // a a a ... never picks EOS; the limits differ by source length
  const auto [src, lengths] = toy_batch({1, 3}, 3);
  const auto result = greedy_search(model, src, lengths, {.max_length_ratio = 1.0, .max_length_offset = 0});
  EXPECT_EQ(result[0][0].tokens.size(), 1u);
  EXPECT_EQ(result[1][0].tokens.size(), 3u);
  EXPECT_FALSE(result[1][0].finished);
  EXPECT_NEAR(result[1][0].log_prob, 3 * std::log(0.6), 1e-6);
  EXPECT_TRUE(attend::testing::all_close(result[1][0].attention, Tensor::full({3, 3}, 1.0 / 3.0), 1e-6));
}

TEST(Search, ErrorsNameTheArgument) {
  ToyModel model(ToyTable{});
  const auto [src, lengths] = toy_batch({2, 3}, 3);
  auto beam = [&](SearchOptions o, const Tensor& s, const Tensor& l) {
    return error_of([&] { beam_search(model, s, l, o); });
  };
  EXPECT_THAT(beam({.beam_size = 0}, src, lengths), HasSubstr("beam_search: beam_size must be ≥ 1, got 0"));
  EXPECT_THAT(beam({.beam_size = 2, .nbest = 3}, src, lengths),
              HasSubstr("beam_search: nbest must be in [1, beam_size = 2], got 3"));
  EXPECT_THAT(beam({.nbest = 0}, src, lengths), HasSubstr("nbest must be in [1, beam_size = 1], got 0"));
  EXPECT_THAT(beam({}, Tensor::zeros({2, 3}), lengths),
              HasSubstr("beam_search: src must be i64 [B, Ts] with Ts ≥ 1, got f32 with shape [2, 3]"));
  EXPECT_THAT(beam({}, Tensor::zeros({6}, DType::i64), lengths),
              HasSubstr("src must be i64 [B, Ts] with Ts ≥ 1, got i64 with shape [6]"));
  EXPECT_THAT(beam({}, src, Tensor::from_vector<int64_t>({2, 3, 3}, {3})),
              HasSubstr("beam_search: src_lengths must be i64 [B] = [2] (src shape [2, 3]), got i64 with shape [3]"));
  EXPECT_THAT(beam({}, src, Tensor::from_vector<int64_t>({2, 4}, {2})),
              HasSubstr("beam_search: src_lengths[1] must be in [1, Ts = 3], got 4"));
  EXPECT_THAT(beam({.bos_id = 7}, src, lengths), HasSubstr("bos_id must be in [0, V = 7), got 7"));
  EXPECT_THAT(beam({.eos_id = -1}, src, lengths), HasSubstr("eos_id must be in [0, V = 7), got -1"));
  EXPECT_THAT(beam({.max_length_ratio = -1.0}, src, lengths), HasSubstr("max_length_ratio must be finite and ≥ 0"));
  EXPECT_THAT(beam({.max_length = -2}, src, lengths), HasSubstr("max_length must be ≥ 0 (0: no cap), got -2"));
  EXPECT_THAT(beam({.alpha = -0.5}, src, lengths), HasSubstr("alpha (length penalty) must be finite and ≥ 0"));
  EXPECT_THAT(beam({.coverage_penalty = NAN}, src, lengths), HasSubstr("coverage_penalty must be finite and ≥ 0"));
  EXPECT_THAT(beam({.max_length_ratio = 0.0, .max_length_offset = 0}, src, lengths),
              HasSubstr("the maximum output length of source 0 is 0 (max_length_ratio 0 · length 2 + "
                        "max_length_offset 0); it must be ≥ 1"));
  EXPECT_THAT(error_of([&] { greedy_search(model, src, lengths, {.beam_size = 0}); }),
              HasSubstr("greedy_search: beam_size must be ≥ 1"));
  EXPECT_EQ(model.starts(), 0);  // every check ran before the model was touched
}

TEST(Search, BadModelOutputsAreErrorsNotCrashes) {
  ToyTable nan_table;
  nan_table.otherwise = {{kA, 1.0}};
  nan_table.nan_at_second_step = true;
  ToyModel nan_model(nan_table);
  const auto [src, lengths] = toy_batch({2}, 2);
  EXPECT_THAT(error_of([&] { greedy_search(nan_model, src, lengths, {}); }),
              HasSubstr("greedy_search: step 1: the model returned a NaN log-probability (row 0, token 0)"));
  EXPECT_THAT(error_of([&] { beam_search(nan_model, src, lengths, {.beam_size = 2}); }),
              HasSubstr("beam_search: step 1: the model returned a NaN log-probability (row 0, token 0)"));
  ToyTable wide;
  wide.wrong_vocab = true;
  ToyModel wide_model(wide);
  EXPECT_THAT(error_of([&] { beam_search(wide_model, src, lengths, {.beam_size = 2}); }),
              HasSubstr("beam_search: step 0: the model's log_probs must be f32 [N, V] = [1, 7], got f32 with shape "
                        "[1, 8]"));
}

TEST(Search, EmptyBatchGivesNoLists) {
  ToyModel model(ToyTable{});
  EXPECT_TRUE(beam_search(model, Tensor::zeros({0, 3}, DType::i64), Tensor(), {.beam_size = 2}).empty());
  EXPECT_TRUE(greedy_search(model, Tensor::zeros({0, 3}, DType::i64), Tensor(), {}).empty());
  EXPECT_EQ(model.starts(), 0);
}

}  // namespace
}  // namespace attend::decode
