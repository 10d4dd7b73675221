#include "attend/nn/dropout.hpp"

#include <gtest/gtest.h>

namespace attend::nn {
namespace {

TEST(DropoutModule, TrainingMasksAndScalesEvalIsIdentity) {
  Dropout drop({.p = 0.5, .seed = 3});
  Var x(Tensor::ones({1000}));
  const auto y = drop.forward(x).value().to_vector<float>();
  int zeros = 0;
  for (float v : y) {
    ASSERT_TRUE(v == 0.0f || v == 2.0f) << v;
    zeros += v == 0.0f;
  }
  EXPECT_GT(zeros, 400);
  EXPECT_LT(zeros, 600);
  drop.eval();
  EXPECT_EQ(drop.forward(x).value().to_vector<float>(), std::vector<float>(1000, 1.0f));
}

TEST(DropoutModule, MasksAdvanceAndAreReproducibleFromTheSeed) {
  Dropout a({.p = 0.3, .seed = 9}), b({.p = 0.3, .seed = 9});
  Var x(Tensor::ones({64}));
  const auto first = a.forward(x).value().to_vector<float>();
  EXPECT_EQ(first, b.forward(x).value().to_vector<float>());
  EXPECT_NE(first, a.forward(x).value().to_vector<float>());  // the generator moved on
  EXPECT_THROW(Dropout({.p = 1.5}), Error);
  EXPECT_TRUE(a.named_parameters().empty());
}

}  // namespace
}  // namespace attend::nn
