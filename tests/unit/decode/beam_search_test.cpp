// Beam search on hand-built toy models whose sequence probabilities are known: the best sequence, n-best order,
// length and coverage penalties, the stopping bound and the length limits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "attend/decode/search.hpp"
#include "test_util.hpp"
#include "toy_model.hpp"

namespace attend::decode {
namespace {

using namespace attend::decode::testing;  // NOLINT: the toy's ids and helpers
using ::testing::ElementsAre;

// Greedy's trap: "a" is locally best (0.5 vs 0.4) but every continuation of it is worse than "b EOS" (0.36).
//   a: 0.5, b: 0.4, EOS: 0.1;   a -> a 0.4, b 0.3, EOS 0.3;   a a -> EOS 1;   b -> EOS 0.9, a 0.05, b 0.05;
//   any other prefix -> EOS 0.5, a 0.25, b 0.25.
ToyTable trap() {
  ToyTable t;
  t.next[{}] = {{kA, 0.5}, {kB, 0.4}, {kEos, 0.1}};
  t.next[{kA}] = {{kA, 0.4}, {kB, 0.3}, {kEos, 0.3}};
  t.next[{kA, kA}] = {{kEos, 1.0}};
  t.next[{kB}] = {{kEos, 0.9}, {kA, 0.05}, {kB, 0.05}};
  t.otherwise = {{kEos, 0.5}, {kA, 0.25}, {kB, 0.25}};
  return t;
}

// The probability of tokens (then EOS when finished) under the table.
double log_prob_of(const ToyTable& t, const std::vector<int64_t>& tokens, bool finished) {
  Prefix prefix;
  double total = 0.0;
  std::vector<int64_t> all = tokens;
  if (finished) all.push_back(kEos);
  for (int64_t token : all) {
    auto it = t.next.find(prefix);
    const Distribution& d = it == t.next.end() ? t.otherwise : it->second;
    total += std::log(d.count(token) ? d.at(token) : 0.0);
    prefix.push_back(token);
  }
  return total;
}

TEST(BeamSearch, FindsTheBestSequenceThatGreedyMisses) {
  ToyModel model(trap());
  const auto [src, lengths] = toy_batch({3}, 3);
  const auto greedy = greedy_search(model, src, lengths, {});
  ASSERT_EQ(greedy[0].size(), 1u);
  EXPECT_THAT(greedy[0][0].tokens, ElementsAre(kA, kA));
  EXPECT_NEAR(greedy[0][0].log_prob, std::log(0.5 * 0.4 * 1.0), 1e-6);

  const auto beam = beam_search(model, src, lengths, {.beam_size = 2, .nbest = 2});
  ASSERT_EQ(beam[0].size(), 2u);
  EXPECT_THAT(beam[0][0].tokens, ElementsAre(kB));
  EXPECT_TRUE(beam[0][0].finished);
  EXPECT_NEAR(beam[0][0].log_prob, std::log(0.4 * 0.9), 1e-6);
  EXPECT_NEAR(beam[0][0].score, beam[0][0].log_prob, 1e-12);  // no penalties
  EXPECT_THAT(beam[0][1].tokens, ElementsAre(kA, kA));
  EXPECT_NEAR(beam[0][1].log_prob, std::log(0.2), 1e-6);
}

TEST(BeamSearch, NbestListsAreSortedDistinctAndScoredByTheTable) {
  const ToyTable table = trap();
  ToyModel model(table);
  const auto [src, lengths] = toy_batch({2, 3}, 3);
  const auto result = beam_search(model, src, lengths, {.beam_size = 4, .nbest = 4});
  ASSERT_EQ(result.size(), 2u);
  for (const auto& list : result) {
    ASSERT_EQ(list.size(), 4u);
    std::set<std::vector<int64_t>> seen;
    for (size_t k = 0; k < list.size(); ++k) {
      SCOPED_TRACE(k);
      EXPECT_TRUE(list[k].finished);
      EXPECT_TRUE(seen.insert(list[k].tokens).second) << "duplicate hypothesis";
      EXPECT_NEAR(list[k].log_prob, log_prob_of(table, list[k].tokens, true), 1e-6);
      if (k > 0) {
        EXPECT_GE(list[k - 1].score, list[k].score);
      }
    }
  }
  // The four most likely finished sequences: b (0.36), a a (0.2), a (0.15), "" (0.1); a b (0.075) comes fifth.
  EXPECT_THAT(result[0][0].tokens, ElementsAre(kB));
  EXPECT_THAT(result[0][1].tokens, ElementsAre(kA, kA));
  EXPECT_THAT(result[0][2].tokens, ElementsAre(kA));
  EXPECT_TRUE(result[0][3].tokens.empty());
}

// EOS 0.4 (T = 1); x EOS 0.6·0.6 = 0.36 (T = 2); x x EOS 0.6·0.4·1 = 0.24 (T = 3).
ToyTable three_lengths() {
  ToyTable t;
  t.next[{}] = {{kA, 0.6}, {kEos, 0.4}};
  t.next[{kA}] = {{kEos, 0.6}, {kA, 0.4}};
  t.next[{kA, kA}] = {{kEos, 1.0}};
  return t;
}

TEST(BeamSearch, LengthPenaltiesChangeTheRankingAsComputedByHand) {
  ToyModel model(three_lengths());
  const auto [src, lengths] = toy_batch({4}, 4);
  const double l1 = std::log(0.4), l2 = std::log(0.36), l3 = std::log(0.24);
  auto ranked = [&](LengthPenalty kind, double alpha) {
    return beam_search(model, src, lengths,
                       {.beam_size = 3, .nbest = 3, .length_penalty = kind, .alpha = alpha})[0];
  };
  const auto none = ranked(LengthPenalty::none, 0.6);  // -0.916 > -1.022 > -1.427
  ASSERT_EQ(none.size(), 3u);
  EXPECT_EQ(none[0].tokens.size(), 0u);
  EXPECT_EQ(none[1].tokens.size(), 1u);
  EXPECT_EQ(none[2].tokens.size(), 2u);
  EXPECT_NEAR(none[0].score, l1, 1e-6);

  const auto average = ranked(LengthPenalty::average, 0.6);  // l3/3 = -0.476 > l2/2 = -0.511 > l1 = -0.916
  ASSERT_EQ(average.size(), 3u);
  EXPECT_EQ(average[0].tokens.size(), 2u);
  EXPECT_EQ(average[1].tokens.size(), 1u);
  EXPECT_EQ(average[2].tokens.size(), 0u);
  EXPECT_NEAR(average[0].score, l3 / 3.0, 1e-6);
  EXPECT_NEAR(average[1].score, l2 / 2.0, 1e-6);
  EXPECT_NEAR(average[0].log_prob, l3, 1e-6);  // log_prob stays unpenalised

  const auto gnmt = ranked(LengthPenalty::gnmt, 1.0);  // lp = (5 + T) / 6: l2/(7/6) = -0.876 > l1 > l3/(8/6) = -1.070
  ASSERT_EQ(gnmt.size(), 3u);
  EXPECT_EQ(gnmt[0].tokens.size(), 1u);
  EXPECT_EQ(gnmt[1].tokens.size(), 0u);
  EXPECT_EQ(gnmt[2].tokens.size(), 2u);
  EXPECT_NEAR(gnmt[0].score, l2 / (7.0 / 6.0), 1e-6);
  EXPECT_NEAR(gnmt[2].score, l3 / (8.0 / 6.0), 1e-6);
}

TEST(BeamSearch, KeepsSearchingWhileALongerHypothesisCanStillWin) {
  // EOS 0.55 finishes first, but x x EOS (0.45·0.99) averages to -0.270 per token, better than log 0.55 = -0.598:
  // the bound log_prob / L keeps the single beam alive until it is found.
  ToyTable t;
  t.next[{}] = {{kEos, 0.55}, {kA, 0.45}};
  t.next[{kA}] = {{kA, 0.99}, {kEos, 0.01}};
  t.next[{kA, kA}] = {{kEos, 1.0}};
  ToyModel model(t);
  const auto [src, lengths] = toy_batch({3}, 3);
  const auto best = beam_search(model, src, lengths, {.beam_size = 1, .length_penalty = LengthPenalty::average})[0];
  ASSERT_EQ(best.size(), 1u);
  EXPECT_THAT(best[0].tokens, ElementsAre(kA, kA));
  EXPECT_NEAR(best[0].score, std::log(0.45 * 0.99) / 3.0, 1e-6);
  // Without a length penalty nothing can beat the finished EOS (log-probabilities only fall): it stops at once.
  const auto plain = beam_search(model, src, lengths, {.beam_size = 1})[0];
  EXPECT_TRUE(plain[0].tokens.empty());
  EXPECT_TRUE(plain[0].finished);
}

TEST(CoveragePenalty, ValueByHand) {
  // Column sums 1.75, 0.75, 0.5 -> log(min(., 1)) = 0 + log 0.75 + log 0.5.
  const Tensor a = Tensor::from_vector<float>({0.5f, 0.5f, 0.0f, 0.25f, 0.25f, 0.5f, 1.0f, 0.0f, 0.0f}, {3, 3});
  EXPECT_NEAR(coverage_penalty(a, 0.2), 0.2 * (std::log(0.75) + std::log(0.5)), 1e-7);
  EXPECT_EQ(coverage_penalty(a, 0.0), 0.0);
  // A never-attended position is floored at 1e-20: finite, and far worse.
  const Tensor b = Tensor::from_vector<float>({1.0f, 0.0f}, {1, 2});
  EXPECT_NEAR(coverage_penalty(b, 1.0), std::log(1e-20), 1e-9);
}

TEST(CoveragePenalty, RewardsTheHypothesisThatCoversTheSource) {
  // "a EOS" (0.6) looks at position 0 twice: coverage [1.8, 0.2] -> β·log 0.2. "b EOS" (0.4) looks at 0 then at 1:
  // coverage [1.0, 1.0] -> 0. With β = 1 the less likely but covering "b" wins.
  ToyTable t;
  t.next[{}] = {{kA, 0.6}, {kB, 0.4}};
  t.next[{kA}] = {{kEos, 1.0}};
  t.next[{kB}] = {{kEos, 1.0}};
  t.attention = [](const Prefix& p, int64_t) {
    return p == Prefix{kB} ? std::vector<float>{0.1f, 0.9f} : std::vector<float>{0.9f, 0.1f};
  };
  ToyModel model(t);
  const auto [src, lengths] = toy_batch({2}, 2);
  const auto plain = beam_search(model, src, lengths, {.beam_size = 2, .nbest = 2})[0];
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_THAT(plain[0].tokens, ElementsAre(kA));
  const auto covered = beam_search(model, src, lengths, {.beam_size = 2, .nbest = 2, .coverage_penalty = 1.0})[0];
  ASSERT_EQ(covered.size(), 2u);
  EXPECT_THAT(covered[0].tokens, ElementsAre(kB));
  EXPECT_NEAR(covered[0].score, std::log(0.4), 1e-6);
  EXPECT_NEAR(covered[1].score, std::log(0.6) + std::log(0.2), 1e-6);
  EXPECT_NEAR(covered[1].score, std::log(0.6) + coverage_penalty(covered[1].attention, 1.0), 1e-6);
  EXPECT_TRUE(attend::testing::all_close(covered[1].attention, Tensor::from_vector<float>({0.9f, 0.1f, 0.9f, 0.1f},
                                                                                          {2, 2})));
  // Without keep_attention the penalty is still applied, but no attention is returned.
  const auto bare = beam_search(model, src, lengths,
                                {.beam_size = 2, .nbest = 2, .coverage_penalty = 1.0, .keep_attention = false})[0];
  EXPECT_FALSE(bare[0].attention.defined());
  EXPECT_NEAR(bare[1].score, covered[1].score, 1e-12);
}

// Never ends: a 0.7, b 0.3 after every prefix.
ToyTable endless() {
  ToyTable t;
  t.otherwise = {{kA, 0.7}, {kB, 0.3}};
  return t;
}

TEST(Search, MaxLengthIsRespectedPerSource) {
  ToyModel model(endless());
  const auto [src, lengths] = toy_batch({1, 3, 2}, 3);
  // L_i = floor(1.5 · Ts_i) + 1: 2, 5, 4.
  const SearchOptions options{.beam_size = 2, .nbest = 2, .max_length_ratio = 1.5, .max_length_offset = 1};
  const std::vector<size_t> expected = {2, 5, 4};
  for (const auto& result : {greedy_search(model, src, lengths, options), beam_search(model, src, lengths, options)}) {
    ASSERT_EQ(result.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      for (const Hypothesis& h : result[i]) {
        EXPECT_FALSE(h.finished);
        EXPECT_EQ(h.tokens.size(), expected[i]);
        EXPECT_EQ(h.attention.shape(), (Shape{static_cast<int64_t>(expected[i]), lengths.to_vector<int64_t>()[i]}));
      }
    }
  }
  const auto beam = beam_search(model, src, lengths, options);
  EXPECT_THAT(beam[0][0].tokens, ElementsAre(kA, kA));  // 0.49, then a b 0.21
  EXPECT_THAT(beam[0][1].tokens, ElementsAre(kA, kB));
  // The hard cap wins over the ratio.
  SearchOptions capped = options;
  capped.max_length = 3;
  for (const auto& list : beam_search(model, src, lengths, capped)) {
    for (const Hypothesis& h : list) EXPECT_LE(h.tokens.size(), 3u);
  }
  EXPECT_EQ(greedy_search(model, src, lengths, capped)[1][0].tokens.size(), 3u);
}

TEST(Search, BatchedSourcesMatchOneAtATime) {
  const ToyTable table = trap();
  ToyModel model(table);
  const auto [src, lengths] = toy_batch({1, 3, 2}, 3);
  const SearchOptions options{.beam_size = 3, .nbest = 3, .max_length_ratio = 1.0, .max_length_offset = 0};
  const auto batched = beam_search(model, src, lengths, options);
  for (int64_t i = 0; i < 3; ++i) {
    const auto [one, one_length] = toy_batch({lengths.to_vector<int64_t>()[i]}, 3);
    const auto alone = beam_search(model, one, one_length, options)[0];
    ASSERT_EQ(alone.size(), batched[i].size());
    for (size_t k = 0; k < alone.size(); ++k) {
      EXPECT_EQ(alone[k].tokens, batched[i][k].tokens);
      EXPECT_EQ(alone[k].score, batched[i][k].score);
      EXPECT_EQ(alone[k].finished, batched[i][k].finished);
    }
  }
  // Source 0 may produce one token only: "a" and "b" unfinished, behind the finished "" (0.1).
  ASSERT_EQ(batched[0].size(), 3u);
  EXPECT_TRUE(batched[0][0].finished);
  EXPECT_TRUE(batched[0][0].tokens.empty());
  EXPECT_THAT(batched[0][1].tokens, ElementsAre(kA));
  EXPECT_FALSE(batched[0][1].finished);
}

TEST(Search, DispatchesOnBeamSize) {
  ToyModel model(trap());
  const auto [src, lengths] = toy_batch({3}, 3);
  EXPECT_THAT(search(model, src, lengths, {})[0][0].tokens, ElementsAre(kA, kA));
  EXPECT_THAT(search(model, src, lengths, {.beam_size = 2})[0][0].tokens, ElementsAre(kB));
  EXPECT_EQ(search(model, src, lengths, {.beam_size = 2})[0].size(), 1u);  // nbest 1
}

}  // namespace
}  // namespace attend::decode
