// encode_corpus (length filter and its report) and make_batches (coverage, budget, determinism, bucketing).
#include "attend/data/batcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.hpp"

namespace attend::data {
namespace {

using attend::testing::error_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(EncodeCorpus, MapsPiecesToIdsAndSkipsTooLongExamples) {
  ParallelCorpus corpus = from_pairs({{"ab", "xy"}, {"abcd", "x"}, {"a", "xyzzy"}, {"ba", "yq"}}, "c");
  const auto tok = train_tokenizer("char", {}, 0);
  const Vocab src_vocab = Vocab::build({{"a", "b"}});
  const Vocab tgt_vocab = Vocab::build({{"x", "y"}});
  CorpusReport report = corpus.report;
  const std::vector<EncodedExample> out = encode_corpus(corpus, *tok, *tok, src_vocab, tgt_vocab, 3, &report);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_THAT(out[0].src, ElementsAre(4, 5));
  EXPECT_THAT(out[0].tgt, ElementsAre(4, 5));
  EXPECT_THAT(out[1].src, ElementsAre(5, 4));
  EXPECT_THAT(out[1].tgt, ElementsAre(5, kUnkId));  // q is not in the target vocabulary
  EXPECT_EQ(report.read, 4);
  EXPECT_EQ(report.kept, 2);
  EXPECT_EQ(report.too_long, 2);
  ASSERT_EQ(report.skipped.size(), 2u);
  EXPECT_EQ(report.skipped[0].where, "c:2");
  EXPECT_EQ(report.skipped[0].reason, "too long (4 > 3 tokens)");
  EXPECT_EQ(report.skipped[1].where, "c:3");
  EXPECT_EQ(report.skipped[1].reason, "too long (5 > 3 tokens)");  // the target side
  EXPECT_EQ(report.summary(), "read 4 lines, kept 2, skipped 2: 2 too long (c:2, c:3)");
  // No limit: all four kept; no report: nothing recorded, nothing crashes.
  EXPECT_EQ(encode_corpus(corpus, *tok, *tok, src_vocab, tgt_vocab, 0, nullptr).size(), 4u);
}

TEST(EncodeCorpus, ExampleWithNoPiecesIsSkippedAsEmpty) {
  ParallelCorpus corpus;  // built by hand: the readers already skip blank sides
  corpus.src = {"a b", " "};
  corpus.tgt = {"x", "y"};
  corpus.where = {"m:1", "m:2"};
  corpus.report.read = corpus.report.kept = 2;
  const auto words = train_tokenizer("word", {}, 0);
  CorpusReport report = corpus.report;
  const auto out = encode_corpus(corpus, *words, *words, Vocab(), Vocab(), 0, &report);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(report.empty, 1);
  EXPECT_EQ(report.kept, 1);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_EQ(report.skipped[0].where, "m:2");
  EXPECT_EQ(report.skipped[0].reason, "empty source after tokenization");
}

TEST(EncodeCorpus, ErrorsNameTheProblem) {
  ParallelCorpus corpus;
  corpus.src = {"a", "b"};
  corpus.tgt = {"x"};
  const auto tok = train_tokenizer("char", {}, 0);
  EXPECT_THAT(error_of([&] { encode_corpus(corpus, *tok, *tok, Vocab(), Vocab(), 0, nullptr); }),
              HasSubstr("encode_corpus: the corpus has 2 sources but 1 targets"));
  corpus.tgt.push_back("y");
  EXPECT_THAT(error_of([&] { encode_corpus(corpus, *tok, *tok, Vocab(), Vocab(), -1, nullptr); }),
              HasSubstr("encode_corpus: max_length must be >= 0"));
}

// n examples with varied lengths (a fixed formula, no RNG): sources 1..40, targets 1..30.
std::vector<EncodedExample> varied_examples(int64_t n) {
  std::vector<EncodedExample> out;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t ls = 1 + (i * 37 + 11) % 40, lt = 1 + (i * 53 + 7) % 30;
    out.push_back({std::vector<int64_t>(ls, 4), std::vector<int64_t>(lt, 5)});
  }
  return out;
}

int64_t padded_cost(const std::vector<EncodedExample>& ex, const std::vector<int64_t>& batch) {
  int64_t ms = 0, mt = 0;
  for (int64_t i : batch) {
    ms = std::max<int64_t>(ms, ex[i].src.size());
    mt = std::max<int64_t>(mt, ex[i].tgt.size());
  }
  return static_cast<int64_t>(batch.size()) * (ms + mt + 1);
}

int64_t total_padded(const std::vector<EncodedExample>& ex, const std::vector<std::vector<int64_t>>& batches) {
  int64_t total = 0;
  for (const auto& b : batches) total += padded_cost(ex, b);
  return total;
}

TEST(MakeBatches, EveryIndexOnceWithinBudgetAndSize) {
  const auto ex = varied_examples(500);
  for (const bool bucketing : {false, true}) {
    for (const bool shuffle : {false, true}) {
      const BatchingOptions o{.batch_tokens = 300, .max_batch_size = 16, .bucketing = bucketing, .shuffle = shuffle};
      const auto batches = make_batches(ex, o, 3);
      std::vector<int64_t> seen;
      for (const auto& b : batches) {
        ASSERT_FALSE(b.empty());
        EXPECT_LE(b.size(), 16u);
        EXPECT_LE(padded_cost(ex, b), 300) << "a batch of " << b.size();
        seen.insert(seen.end(), b.begin(), b.end());
      }
      std::sort(seen.begin(), seen.end());
      ASSERT_EQ(seen.size(), 500u) << bucketing << shuffle;
      for (int64_t i = 0; i < 500; ++i) ASSERT_EQ(seen[i], i);
    }
  }
}

TEST(MakeBatches, GreedyCutInCorpusOrderWithoutShuffleOrBucketing) {
  const std::vector<EncodedExample> ex(5, EncodedExample{{4, 4}, {5, 5}});  // cost 5 each
  const BatchingOptions o{.batch_tokens = 10, .bucketing = false, .shuffle = false};
  EXPECT_EQ(make_batches(ex, o, 0), (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}, {4}}));
  EXPECT_EQ(make_batches(ex, {.batch_tokens = 100, .max_batch_size = 2, .bucketing = false, .shuffle = false}, 0),
            (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}, {4}}));
  EXPECT_TRUE(make_batches({}, o, 0).empty());
}

TEST(MakeBatches, OverBudgetExampleFormsItsOwnBatch) {
  std::vector<EncodedExample> ex(6, EncodedExample{{4}, {5}});
  ex[3].src.assign(50, 4);  // cost 52 > 20
  const auto batches = make_batches(ex, {.batch_tokens = 20, .bucketing = false, .shuffle = false}, 0);
  EXPECT_EQ(batches, (std::vector<std::vector<int64_t>>{{0, 1, 2}, {3}, {4, 5}}));
}

TEST(MakeBatches, SameSeedAndEpochGiveTheSameBatches) {
  const auto ex = varied_examples(300);
  const BatchingOptions o{.batch_tokens = 400, .max_batch_size = 32, .seed = 7};
  const auto a = make_batches(ex, o, 2);
  EXPECT_EQ(make_batches(ex, o, 2), a);
  EXPECT_NE(make_batches(ex, o, 3), a);  // another epoch, another order
  BatchingOptions other = o;
  other.seed = 8;
  EXPECT_NE(make_batches(ex, other, 2), a);
}

TEST(MakeBatches, ShuffleIsAFixedFunctionOfSeedAndEpoch) {
  // Golden order from the Philox stream: a change here changes every training run's data order.
  const std::vector<EncodedExample> ex(8, EncodedExample{{4}, {5}});
  const BatchingOptions o{.batch_tokens = 1000, .max_batch_size = 3, .bucketing = false, .seed = 42};
  EXPECT_EQ(make_batches(ex, o, 0), (std::vector<std::vector<int64_t>>{{2, 5, 3}, {7, 0, 1}, {4, 6}}));
  EXPECT_EQ(make_batches(ex, o, 1), (std::vector<std::vector<int64_t>>{{5, 7, 4}, {1, 2}, {0, 6, 3}}));
}

TEST(MakeBatches, BucketingReducesPadding) {
  const auto ex = varied_examples(2000);
  const BatchingOptions plain{.batch_tokens = 1000, .max_batch_size = 64, .bucketing = false, .seed = 3};
  BatchingOptions bucketed = plain;
  bucketed.bucketing = true;
  const int64_t plain_padded = total_padded(ex, make_batches(ex, plain, 0));
  const int64_t bucketed_padded = total_padded(ex, make_batches(ex, bucketed, 0));
  int64_t real = 0;
  for (const auto& e : ex) real += static_cast<int64_t>(e.src.size() + e.tgt.size() + 1);
  // Pad tokens (padded minus real) fall at least threefold (59878 -> 15459 when written).
  EXPECT_LT(3 * (bucketed_padded - real), plain_padded - real) << bucketed_padded << " vs " << plain_padded;
  // Within a bucketed batch, source lengths are close.
  for (const auto& b : make_batches(ex, bucketed, 0)) {
    int64_t lo = 1000, hi = 0;
    for (int64_t i : b) {
      lo = std::min<int64_t>(lo, ex[i].src.size());
      hi = std::max<int64_t>(hi, ex[i].src.size());
    }
    EXPECT_LE(hi - lo, 2);
  }
}

TEST(MakeBatches, BadOptionsAreErrors) {
  const auto ex = varied_examples(4);
  EXPECT_THAT(error_of([&] { make_batches(ex, {.batch_tokens = 0}, 0); }),
              HasSubstr("make_batches: batch_tokens must be >= 1, got 0"));
  EXPECT_THAT(error_of([&] { make_batches(ex, {.max_batch_size = -1}, 0); }),
              HasSubstr("make_batches: max_batch_size must be >= 1, got -1"));
  EXPECT_THAT(error_of([&] { make_batches(ex, {.bucket_window = -5}, 0); }),
              HasSubstr("make_batches: bucket_window must be >= 0"));
  EXPECT_THAT(error_of([&] { make_batches(ex, {}, -1); }), HasSubstr("make_batches: epoch must be >= 0, got -1"));
}

}  // namespace
}  // namespace attend::data
