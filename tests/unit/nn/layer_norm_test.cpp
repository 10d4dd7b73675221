#include "attend/nn/layer_norm.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/ops/reduction.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;

TEST(LayerNormModule, ParametersStartAsOnesAndZeros) {
  LayerNorm ln({.normalized_shape = {2, 3}});
  auto named = ln.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "weight");
  EXPECT_EQ(named[1].first, "bias");
  EXPECT_EQ(ln.weight().value().to_vector<float>(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(ln.bias().value().to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(ln.weight().shape(), (Shape{2, 3}));
  LayerNorm plain({.normalized_shape = {3}, .elementwise_affine = false});
  EXPECT_TRUE(plain.named_parameters().empty());
  EXPECT_TRUE(plain.state_dict().empty());
}

TEST(LayerNormModule, ForwardOnHandMadeWeights) {
  LayerNorm ln({.normalized_shape = {2}, .eps = 0.0});
  ln.load_state_dict({{"weight", Tensor::from_vector<float>({2, 3}, {2})},
                      {"bias", Tensor::from_vector<float>({1, -1}, {2})}});
  // Each row [a, b] normalises to [-1, 1] (biased variance), then weight ⊙ x̂ + bias.
  Var y = ln.forward(Var(Tensor::from_vector<float>({1, 3, 10, 0}, {2, 2})));
  EXPECT_TRUE(all_close(y.value(), Tensor::from_vector<float>({-1, 2, 3, -4}, {2, 2})));
}

TEST(LayerNormModule, EpsEntersTheVariance) {
  LayerNorm ln({.normalized_shape = {2}, .eps = 3.0, .elementwise_affine = false});
  // var = 1, so x̂ = ±1/√(1 + 3) = ±0.5.
  Var y = ln.forward(Var(Tensor::from_vector<float>({4, 6}, {1, 2})));
  EXPECT_TRUE(all_close(y.value(), Tensor::from_vector<float>({-0.5, 0.5}, {1, 2})));
}

TEST(LayerNormModule, NormalisesOverTwoTrailingDims) {
  LayerNorm ln({.normalized_shape = {2, 2}, .elementwise_affine = false});
  Var y = ln.forward(Var(Tensor::from_vector<float>({1, 2, 3, 4, 0, 0, 0, 8}, {2, 2, 2})));
  const auto v = y.value().to_vector<double>();
  for (int b = 0; b < 2; ++b) {
    double mean = 0, sq = 0;
    for (int i = 0; i < 4; ++i) mean += v[b * 4 + i], sq += v[b * 4 + i] * v[b * 4 + i];
    EXPECT_NEAR(mean / 4, 0.0, 1e-6);
    EXPECT_NEAR(sq / 4, 1.0, 1e-4);
  }
}

TEST(LayerNormModule, GradientReachesAffineParameters) {
  LayerNorm ln({.normalized_shape = {3}});
  Var x(Tensor::from_vector<float>({1, 2, 4, 0, 5, 1}, {2, 3}), true);
  sum(ln.forward(x)).backward();
  EXPECT_TRUE(all_close(ln.bias().grad(), Tensor::full({3}, 2.0)));
  ASSERT_TRUE(ln.weight().grad().defined());
  ASSERT_TRUE(x.grad().defined());  // sum of a normalised row is constant: the input gradient is ~0
  EXPECT_TRUE(all_close(x.grad(), Tensor::zeros({2, 3}), 1e-5));
}

TEST(LayerNormModule, MismatchedTrailingDimsThrow) {
  LayerNorm ln({.normalized_shape = {4}});
  try {
    ln.forward(Var(Tensor::zeros({2, 3})));
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("normalized_shape [4]"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("[2, 3]"));
  }
  EXPECT_THROW(LayerNorm({.normalized_shape = {}}), Error);
}

}  // namespace
}  // namespace attend::nn
