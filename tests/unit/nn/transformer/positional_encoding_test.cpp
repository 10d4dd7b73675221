#include "attend/nn/transformer/positional_encoding.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/elementwise.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

TEST(SinusoidalPositionalEncoding, MatchesThePaperFormula) {
  SinusoidalPositionalEncoding pe({.dim = 4});
  const Tensor table = pe.encoding(3, 0, DType::f64);
  ASSERT_EQ(table.shape(), (Shape{3, 4}));
  for (int64_t pos = 0; pos < 3; ++pos) {
    const double p = static_cast<double>(pos);
    // Pair i has wavelength 10000^(2i / 4): i = 0 -> 1, i = 1 -> 100.
    EXPECT_DOUBLE_EQ(table.at({pos, 0}), std::sin(p));
    EXPECT_DOUBLE_EQ(table.at({pos, 1}), std::cos(p));
    EXPECT_NEAR(table.at({pos, 2}), std::sin(p / 100.0), 1e-15);
    EXPECT_NEAR(table.at({pos, 3}), std::cos(p / 100.0), 1e-15);
  }
}

TEST(SinusoidalPositionalEncoding, OddWidthEndsWithASineColumn) {
  SinusoidalPositionalEncoding pe({.dim = 5});
  const Tensor table = pe.encoding(4, 0, DType::f64);
  for (int64_t pos = 0; pos < 4; ++pos) {
    EXPECT_NEAR(table.at({pos, 4}), std::sin(static_cast<double>(pos) / std::pow(10000.0, 4.0 / 5.0)), 1e-15);
  }
}

TEST(SinusoidalPositionalEncoding, OffsetShiftsPositionsAndForwardAddsTheTable) {
  SinusoidalPositionalEncoding pe({.dim = 6});
  const Tensor full = pe.encoding(7, 0);
  EXPECT_TRUE(all_close(pe.encoding(2, 5), full.narrow(0, 5, 2), 0.0, 0.0));
  Rng rng(3);
  const Var x(Tensor::randn({2, 3, 6}, rng));
  const Var y = pe.forward(x, 4);
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_TRUE(all_close(y.value().select(0, b), x.value().select(0, b) + full.narrow(0, 4, 3), 1e-6));
  }
  EXPECT_TRUE(pe.state_dict().empty());  // computed, not stored
}

TEST(SinusoidalPositionalEncoding, DropoutOnlyWhileTraining) {
  SinusoidalPositionalEncoding pe({.dim = 8, .dropout = 0.5, .seed = 1});
  const Var x(Tensor::zeros({4, 16, 8}));
  const std::vector<float> train = pe.forward(x).value().to_vector<float>();
  const int zeros = static_cast<int>(std::count(train.begin(), train.end(), 0.0f));
  EXPECT_GT(zeros, 100);  // about half of 512 (plus the exact zeros of sin(0))
  EXPECT_LT(zeros, 420);
  pe.eval();
  EXPECT_TRUE(all_close(pe.forward(x).value().select(0, 0), pe.encoding(16), 0.0, 0.0));
}

TEST(SinusoidalPositionalEncoding, ErrorsNameTheShape) {
  SinusoidalPositionalEncoding pe({.dim = 4});
  EXPECT_THAT(error_of([&] { pe.forward(Var(Tensor::zeros({3, 4}))); }), HasSubstr("got shape [3, 4]"));
  const std::string width = error_of([&] { pe.forward(Var(Tensor::zeros({2, 3, 5}))); });
  EXPECT_THAT(width, HasSubstr("expected 4, got 5"));
  EXPECT_THAT(width, HasSubstr("[2, 3, 5]"));
  EXPECT_THAT(error_of([&] { pe.forward(Var(Tensor::zeros({2, 3, 4})), -1); }), HasSubstr("offset"));
  EXPECT_THAT(error_of([] { SinusoidalPositionalEncoding({.dim = 0}); }), HasSubstr("dim must be positive"));
}

TEST(LearnedPositionalEncoding, AddsTheRowsOfItsPositionsAndTrainsOnlyThem) {
  LearnedPositionalEncoding pe({.max_len = 6, .dim = 3, .seed = 2});
  ASSERT_EQ(pe.named_parameters().size(), 1u);
  EXPECT_EQ(pe.named_parameters()[0].first, "weight");
  EXPECT_EQ(pe.weight().shape(), (Shape{6, 3}));
  Rng rng(4);
  const Var x(Tensor::randn({2, 2, 3}, rng), true);
  const Var y = pe.forward(x, 3);
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_TRUE(all_close(y.value().select(0, b), x.value().select(0, b) + pe.weight().value().narrow(0, 3, 2)));
  }
  sum(y).backward();
  const Tensor& g = pe.weight().grad();
  for (int64_t pos = 0; pos < 6; ++pos) {
    const double expected = (pos == 3 || pos == 4) ? 2.0 : 0.0;  // summed over the batch of 2
    for (int64_t c = 0; c < 3; ++c) EXPECT_DOUBLE_EQ(g.at({pos, c}), expected);
  }
}

TEST(LearnedPositionalEncoding, PastMaxLenNamesOffsetLengthAndMaxLen) {
  LearnedPositionalEncoding pe({.max_len = 5, .dim = 2});
  EXPECT_NO_THROW(pe.forward(Var(Tensor::zeros({1, 2, 2})), 3));
  const std::string e = error_of([&] { pe.forward(Var(Tensor::zeros({1, 3, 2})), 3); });
  EXPECT_THAT(e, HasSubstr("offset 3 + T 3 > max_len 5"));
  EXPECT_THAT(e, HasSubstr("[1, 3, 2]"));
  EXPECT_THAT(error_of([&] { pe.forward(Var(Tensor::zeros({1, 3, 4}))); }), HasSubstr("expected 2, got 4"));
}

}  // namespace
}  // namespace attend::nn
