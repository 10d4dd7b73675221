// Token accuracy and exact match.
#include "attend/train/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "test_util.hpp"

namespace attend::train {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::error_of;

// [1, 4, 3] logits whose argmax per position is 2, 0, 1, 1.
Tensor four_positions(DType dtype = DType::f32) {
  return Tensor::from_vector<double>({0.1, 0.2, 0.9,    //
                                      5.0, -1.0, 4.0,   //
                                      -3.0, -2.0, -2.5,  //
                                      0.0, 7.0, 6.0},
                                     {1, 4, 3})
      .to(dtype);
}

TEST(TokenAccuracy, CountsArgmaxHitsAndSkipsIgnoredPositions) {
  // targets 2 (hit), 0 (hit), 2 (miss: argmax 1), 9 = ignore_index (not counted)
  const Tensor target = Tensor::from_vector<int64_t>({2, 0, 2, 9}, {1, 4});
  for (DType dtype : {DType::f32, DType::f64}) {
    const TokenAccuracy acc = token_accuracy(four_positions(dtype), target, 9);
    EXPECT_EQ(acc.correct, 2);
    EXPECT_EQ(acc.total, 3);
    EXPECT_DOUBLE_EQ(acc.value(), 2.0 / 3.0);
  }
}

TEST(TokenAccuracy, TiesGoToTheLowestIdAndNaNIsTheLargest) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor logits = Tensor::from_vector<double>({1.0, 3.0, 3.0, 0.0, nan, 9.0}, {2, 1, 3});  // argmax 1, then 1
  EXPECT_EQ(token_accuracy(logits, Tensor::from_vector<int64_t>({1, 1}, {2, 1}), -100).correct, 2);
  EXPECT_EQ(token_accuracy(logits, Tensor::from_vector<int64_t>({2, 2}, {2, 1}), -100).correct, 0);
}

TEST(TokenAccuracy, ReadsStridedLogits) {
  // [1, 3, 4] transposed to [1, 4, 3] is the same values as four_positions(), laid out with strides.
  const Tensor logits = four_positions().transpose(1, 2).contiguous().transpose(1, 2);
  ASSERT_FALSE(logits.is_contiguous());
  const TokenAccuracy acc = token_accuracy(logits, Tensor::from_vector<int64_t>({2, 0, 1, 1}, {1, 4}), 0);
  EXPECT_EQ(acc.correct, 3);  // position 1 has target 0 = ignore_index
  EXPECT_EQ(acc.total, 3);
}

TEST(TokenAccuracy, AddSumsCountsAndEmptyIsZero) {
  TokenAccuracy acc;
  EXPECT_EQ(acc.value(), 0.0);
  acc.add({.correct = 3, .total = 4});
  acc.add({.correct = 1, .total = 4});
  EXPECT_EQ(acc.correct, 4);
  EXPECT_EQ(acc.total, 8);
  EXPECT_DOUBLE_EQ(acc.value(), 0.5);
  // Every position ignored: nothing counted.
  EXPECT_EQ(token_accuracy(four_positions(), Tensor::full({1, 4}, 0, DType::i64), 0).total, 0);
}

TEST(TokenAccuracy, ErrorsNameShapesAndPositions) {
  const Tensor logits = four_positions();
  EXPECT_THAT(error_of([&] { token_accuracy(logits.select(0, 0), Tensor::zeros({4}, DType::i64), -1); }),
              HasSubstr("logits must be [B, T, V] with V > 0, got shape [4, 3]"));
  EXPECT_THAT(error_of([&] { token_accuracy(logits, Tensor::zeros({1, 4}), -1); }),
              HasSubstr("target must be i64 token ids, got f32 of shape [1, 4]"));
  EXPECT_THAT(error_of([&] { token_accuracy(logits, Tensor::zeros({1, 5}, DType::i64), -1); }),
              HasSubstr("target shape [1, 5], logits shape [1, 4, 3]"));
  EXPECT_THAT(error_of([&] { token_accuracy(logits, Tensor::from_vector<int64_t>({0, 1, 3, 0}, {1, 4}), -1); }),
              AllOf(HasSubstr("target[0, 2] = 3 is outside [0, 3)"), HasSubstr("ignore_index (-1)")));
  EXPECT_THAT(error_of([&] { token_accuracy(logits.to(DType::i64), Tensor::zeros({1, 4}, DType::i64), -1); }),
              HasSubstr("token_accuracy: expected a floating tensor"));
}

TEST(ExactMatch, ComparesTrimmedStrings) {
  EXPECT_DOUBLE_EQ(exact_match({"2026-11-24", " 2026-11-25\n", "2026-11-26", "x"}, {"2026-11-24", "2026-11-25",
                                                                                   "2026-11-27", "X"}),
                   0.5);
  EXPECT_EQ(exact_match({"a b"}, {"a  b"}), 0.0);  // inner whitespace counts
  EXPECT_EQ(exact_match({"  "}, {""}), 1.0);
  EXPECT_EQ(exact_match({}, {}), 0.0);
}

TEST(ExactMatch, SizesMustMatch) {
  EXPECT_THAT(error_of([] { exact_match({"a"}, {"a", "b"}); }),
              HasSubstr("exact_match: 1 hypotheses but 2 references"));
}

}  // namespace
}  // namespace attend::train
