#include "attend/ops/reduction.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;
using testing::all_close;

Tensor iota(const Shape& shape, DType dtype = DType::f32) { return Tensor::arange(numel(shape), dtype).reshape(shape); }

TEST(Reduction, SumOverOneDimValuesAndGradient) {
  Var x(iota({2, 3, 4}), true);
  Var y = sum(x, {1});  // y[b, c] = Σ_t (12b + 4t + c) = 36b + 12 + 3c
  ASSERT_EQ(y.shape(), (Shape{2, 4}));
  EXPECT_EQ(y.value().to_vector<float>(), (std::vector<float>{12, 15, 18, 21, 48, 51, 54, 57}));
  const Tensor seed = iota({2, 4});
  y.backward(seed);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t t = 0; t < 3; ++t) {
      for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(x.grad().at({b, t, c}), seed.at({b, c}));
    }
  }
}

TEST(Reduction, SumKeepdimAndNegativeDims) {
  Var x(iota({2, 3, 4}), true);
  Var y = sum(x, {-1, 0}, true);  // y[0, t, 0] = Σ_{b,c} (12b + 4t + c) = 60 + 32t
  ASSERT_EQ(y.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(y.value().to_vector<float>(), (std::vector<float>{60, 92, 124}));
  y.backward(Tensor::from_vector(std::vector<float>{1, 2, 3}, {1, 3, 1}));
  EXPECT_EQ(x.grad().at({1, 2, 3}), 3.0);
  EXPECT_EQ(x.grad().at({0, 0, 1}), 1.0);
}

TEST(Reduction, SumAllIsAScalarWithGradientOne) {
  Var x(iota({2, 3, 4}), true);
  Var y = sum(x);
  EXPECT_EQ(y.dim(), 0);
  EXPECT_EQ(y.value().item<float>(), 276.0f);  // 0 + 1 + ... + 23
  y.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), std::vector<float>(24, 1.0f));
}

TEST(Reduction, SumOfAScalarOverDimZeroIsTheScalar) {
  Var x(Tensor::scalar(2.5), true);
  Var y = sum(x, {0});
  EXPECT_EQ(y.dim(), 0);
  EXPECT_EQ(y.value().item<float>(), 2.5f);
  y.backward();
  EXPECT_EQ(x.grad().item<float>(), 1.0f);
}

TEST(Reduction, MeanValuesAndGradientDividesByCount) {
  Var x(iota({2, 3, 4}, DType::f64), true);
  Var y = mean(x, {0, 2});  // y[t] = mean_{b,c}(12b + 4t + c) = 6 + 4t + 1.5
  EXPECT_EQ(y.value().to_vector<double>(), (std::vector<double>{7.5, 11.5, 15.5}));
  y.backward(Tensor::from_vector(std::vector<double>{8, 16, 24}, {3}));
  EXPECT_EQ(x.grad().at({1, 0, 3}), 1.0);  // 8 / 8
  EXPECT_EQ(x.grad().at({0, 2, 0}), 3.0);  // 24 / 8
  Var z(iota({4}, DType::f64), true);
  Var m = mean(z);
  EXPECT_EQ(m.value().item<double>(), 1.5);
  m.backward();
  EXPECT_EQ(z.grad().to_vector<double>(), std::vector<double>(4, 0.25));
}

TEST(Reduction, MaxGradientGoesToTheFirstMaximum) {
  Var x(Tensor::from_vector(std::vector<float>{1, 5, 5, 2, 7, -1, 3, 7}, {2, 4}), true);
  Var y = max(x, 1);
  EXPECT_EQ(y.value().to_vector<float>(), (std::vector<float>{5, 7}));
  y.backward(Tensor::from_vector(std::vector<float>{2, 3}, {2}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 2, 0, 0, 3, 0, 0, 0}));
}

TEST(Reduction, MaxAlongAMiddleDimWithKeepdim) {
  // x[b, t, c] = 12b + 4t + c except x[1, 0, 2] = 100: the max over t is at t = 2, or t = 0 for (b = 1, c = 2).
  Tensor v = iota({2, 3, 4});
  v.select(0, 1).select(0, 0).select(0, 2).fill_(100.0);
  Var x(v, true);
  Var y = max(x, -2, true);
  ASSERT_EQ(y.shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(y.value().to_vector<float>(), (std::vector<float>{8, 9, 10, 11, 20, 21, 100, 23}));
  y.backward(Tensor::ones({2, 1, 4}));
  EXPECT_EQ(x.grad().at({1, 0, 2}), 1.0);
  EXPECT_EQ(x.grad().at({1, 2, 2}), 0.0);
  EXPECT_EQ(x.grad().at({0, 2, 1}), 1.0);
  EXPECT_EQ(sum(x.grad()).item<float>(), 8.0f);
}

TEST(Reduction, LogsumexpValuesAndSoftmaxGradient) {
  Var x(Tensor::from_vector(std::vector<double>{0, std::log(3.0), 1000, 1000}, {2, 2}), true);
  Var y = logsumexp(x, {1});
  EXPECT_TRUE(all_close(y.value(), Tensor::from_vector(std::vector<double>{std::log(4.0), 1000 + std::log(2.0)}, {2}),
                        1e-12));
  y.backward(Tensor::ones({2}, DType::f64));
  EXPECT_TRUE(all_close(x.grad(), Tensor::from_vector(std::vector<double>{0.25, 0.75, 0.5, 0.5}, {2, 2}), 1e-12));
}

TEST(Reduction, LogsumexpOfAllMinusInfIsMinusInfWithZeroGradient) {
  const float inf = std::numeric_limits<float>::infinity();
  Var x(Tensor::from_vector(std::vector<float>{-inf, -inf, 0, 0}, {2, 2}), true);
  Var y = logsumexp(x, {-1}, true);
  EXPECT_EQ(y.value().at({0, 0}), -inf);
  EXPECT_NEAR(y.value().at({1, 0}), std::log(2.0), 1e-6);
  y.backward(Tensor::ones({2, 1}));
  EXPECT_TRUE(all_finite(x.grad()));
  EXPECT_TRUE(all_close(x.grad(), Tensor::from_vector(std::vector<float>{0, 0, 0.5, 0.5}, {2, 2})));
}

TEST(Reduction, ErrorsNameTheOpTheDimAndTheShape) {
  Var x(iota({2, 3, 4}), true);
  EXPECT_THAT(error_of([&] { sum(x, {3}); }),
              HasSubstr("sum: dim 3 out of range for a tensor of rank 3 (shape [2, 3, 4])"));
  EXPECT_THAT(error_of([&] { mean(x, {1, -2}); }), HasSubstr("mean: dim 1 listed twice (shape [2, 3, 4])"));
  EXPECT_THAT(error_of([&] { max(x, -4); }), HasSubstr("max: dim -4 out of range"));
  EXPECT_THAT(error_of([&] { logsumexp(x, {5}); }), HasSubstr("logsumexp: dim 5 out of range"));
  EXPECT_THAT(error_of([&] { max(Var(Tensor::zeros({2, 0})), 1); }), HasSubstr("max: dim 1 has extent 0"));
  EXPECT_THAT(error_of([&] { mean(Var(Tensor::zeros({0, 3})), {0}); }), HasSubstr("mean: reducing over zero elements"));
  const Var ids(Tensor::zeros({3}, DType::i64));
  EXPECT_THAT(error_of([&] { max(ids, 0); }), HasSubstr("max: expected a floating tensor"));
  EXPECT_THAT(error_of([&] { sum(ids); }), HasSubstr("sum: expected a floating tensor"));
}

}  // namespace
}  // namespace attend
