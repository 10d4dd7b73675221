#include "attend/nn/linear.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/ops/reduction.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;

TEST(LinearModule, RegistersWeightAndBiasWithTorchNamesAndShapes) {
  Linear with({.in_features = 4, .out_features = 3});
  auto named = with.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "weight");
  EXPECT_EQ(named[0].second.shape(), (Shape{3, 4}));
  EXPECT_EQ(named[1].first, "bias");
  EXPECT_EQ(named[1].second.shape(), (Shape{3}));
  Linear without({.in_features = 4, .out_features = 3, .bias = false});
  EXPECT_EQ(without.named_parameters().size(), 1u);
  EXPECT_FALSE(without.bias().defined());
}

TEST(LinearModule, ForwardOnHandMadeWeights) {
  Linear lin({.in_features = 2, .out_features = 3});
  lin.load_state_dict({{"weight", Tensor::from_vector<float>({1, 2, 0, -1, 3, 0.5}, {3, 2})},
                       {"bias", Tensor::from_vector<float>({0.5, 0, -1}, {3})}});
  Var x(Tensor::from_vector<float>({1, 1, 2, -2}, {2, 2}));
  EXPECT_TRUE(all_close(lin.forward(x).value(), Tensor::from_vector<float>({3.5, -1, 2.5, -1.5, 2, 4}, {2, 3})));
  // 1-D and 3-D inputs: the leading dims are kept.
  EXPECT_EQ(lin.forward(Var(Tensor::ones({2}))).shape(), (Shape{3}));
  EXPECT_EQ(lin.forward(Var(Tensor::ones({4, 5, 2}))).shape(), (Shape{4, 5, 3}));
}

TEST(LinearModule, GradientsReachWeightBiasAndInput) {
  Linear lin({.in_features = 2, .out_features = 1});
  lin.load_state_dict({{"weight", Tensor::from_vector<float>({2, 3}, {1, 2})}, {"bias", Tensor::zeros({1})}});
  Var x(Tensor::from_vector<float>({1, 4, 2, 5}, {2, 2}), true);
  sum(lin.forward(x)).backward();
  EXPECT_EQ(lin.weight().grad().to_vector<float>(), (std::vector<float>{3, 9}));
  EXPECT_EQ(lin.bias().grad().to_vector<float>(), (std::vector<float>{2}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 3, 2, 3}));
}

TEST(LinearModule, WrongInputWidthNamesBothSizes) {
  Linear lin({.in_features = 4, .out_features = 2});
  try {
    lin.forward(Var(Tensor::zeros({2, 3})));
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("expected 4, got 3"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("[2, 3]"));
  }
}

TEST(LinearModule, TorchDefaultInitRangeAndSeedDeterminism) {
  Linear a({.in_features = 16, .out_features = 64, .seed = 7});
  Linear b({.in_features = 16, .out_features = 64, .seed = 7});
  Linear c({.in_features = 16, .out_features = 64, .seed = 8});
  const double bound = 1.0 / std::sqrt(16.0);  // kaiming_uniform(a=√5) and torch's bias bound
  for (const Var* p : {&a.weight(), &a.bias()}) {
    const auto v = p->value().to_vector<double>();
    double lo = 1.0, hi = -1.0;
    for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x);
    EXPECT_GE(lo, -bound);
    EXPECT_LT(hi, bound);
    EXPECT_LT(lo, -0.8 * bound);  // spans the range, not a narrower one
    EXPECT_GT(hi, 0.8 * bound);
  }
  EXPECT_EQ(a.weight().value().to_vector<float>(), b.weight().value().to_vector<float>());
  EXPECT_NE(a.weight().value().to_vector<float>(), c.weight().value().to_vector<float>());
  EXPECT_NE(a.weight().value().to_vector<float>()[0], a.bias().value().to_vector<float>()[0]);
}

}  // namespace
}  // namespace attend::nn
