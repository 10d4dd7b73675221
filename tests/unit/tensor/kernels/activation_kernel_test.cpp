// tanh_fast (the vectorised f32 tanh) against its reference, std::tanh in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/kernels/activation.hpp"

namespace attend::kernels {
namespace {

TEST(TanhFast, WithinOneMillionthOfTanhOnADenseGrid) {
  double worst = 0, worst_at = 0;
  for (int i = -2000000; i <= 2000000; ++i) {
    const float x = static_cast<float>(i) * 1e-5f;  // [-20, 20]
    const double err = std::abs(static_cast<double>(tanh_fast(x)) - std::tanh(static_cast<double>(x)));
    if (err > worst) worst = err, worst_at = x;
  }
  EXPECT_LT(worst, 1e-6) << "at x = " << worst_at;
}

TEST(SigmoidFast, WithinOneMillionthOfTheLogistic) {
  double worst = 0;
  for (int i = -400000; i <= 400000; ++i) {
    const float x = static_cast<float>(i) * 1e-4f;  // [-40, 40]
    const double ref = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
    worst = std::max(worst, std::abs(static_cast<double>(sigmoid_fast(x)) - ref));
  }
  EXPECT_LT(worst, 1e-6);
  EXPECT_TRUE(std::isnan(sigmoid_fast(std::numeric_limits<float>::quiet_NaN())));
}

TEST(TanhFast, OddSaturatedAndExactNearZero) {
  for (float x : {1e-3f, 0.3f, 1.7f, 5.0f}) EXPECT_EQ(tanh_fast(-x), -tanh_fast(x));
  EXPECT_EQ(tanh_fast(0.0f), 0.0f);
  EXPECT_EQ(tanh_fast(1e-5f), 1e-5f);
  EXPECT_NEAR(tanh_fast(50.0f), 1.0f, 2e-7f);
  EXPECT_NEAR(tanh_fast(-std::numeric_limits<float>::infinity()), -1.0f, 2e-7f);
  EXPECT_LE(tanh_fast(1e30f), 1.0f);
}

TEST(TanhFast, NanPropagatesSoNonFiniteLossesAreSeen) {
  EXPECT_TRUE(std::isnan(tanh_fast(std::numeric_limits<float>::quiet_NaN())));
  Tensor t = Tensor::from_vector<float>({0.5f, std::numeric_limits<float>::quiet_NaN()}, {2});
  EXPECT_TRUE(std::isnan(attend::tanh(t).to_vector<float>()[1]));
}

TEST(TanhFast, TensorTanhUsesItForF32AndTheReferenceForF64) {
  Tensor x = Tensor::from_vector<double>({-3.0, -0.25, 0.0, 0.7, 2.5}, {5});
  auto f64 = attend::tanh(x).to_vector<double>();
  auto f32 = attend::tanh(x.to(DType::f32)).to_vector<float>();
  for (size_t i = 0; i < f64.size(); ++i) {
    EXPECT_EQ(f64[i], std::tanh(x.to_vector<double>()[i]));
    EXPECT_NEAR(f32[i], f64[i], 1e-6);
  }
}

}  // namespace
}  // namespace attend::kernels
