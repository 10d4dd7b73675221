#include "attend/autograd/var.hpp"

#include <gtest/gtest.h>

#include "attend/autograd/node.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/elementwise.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

// A local differentiable multiply so this test depends on the engine only, not on ops/.
Var times(const Var& a, const Var& b) {
  return make_result(a.value() * b.value(), {a, b}, [a = a.value(), b = b.value()](const Tensor& g, Grads& grads) {
    if (grads.needs(0)) grads[0] = g * b;
    if (grads.needs(1)) grads[1] = g * a;
  }, "times");
}

TEST(Autograd, ProductRuleAndAccumulation) {
  Var x(Tensor::full({2}, 3.0), true);
  Var y = times(x, x);  // x^2, x used twice
  y.backward(Tensor::ones({2}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{6, 6}));
  Var z = times(x, x);
  z.backward(Tensor::ones({2}));  // accumulates
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{12, 12}));
}

TEST(Autograd, BroadcastGradientIsSummedBack) {
  Var x(Tensor::full({3}, 2.0), true);
  Var m(Tensor::ones({4, 3}), false);
  Var y = times(m, x);  // [4, 3]
  y.backward(Tensor::ones({4, 3}));
  EXPECT_EQ(x.grad().shape(), (Shape{3}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{4, 4, 4}));
  EXPECT_FALSE(m.grad().defined());
}

TEST(Autograd, GraphIsReleasedAfterBackward) {
  Var x(Tensor::full({1}, 1.0), true);
  Var y = times(x, x);
  y.backward();
  EXPECT_THROW(y.backward(), Error);
  Var z = times(x, x);
  z.backward(true);
  z.backward();  // retained once
}

TEST(Autograd, NoGradAndDetachRecordNothing) {
  Var x(Tensor::full({1}, 1.0), true);
  {
    NoGradGuard guard;
    EXPECT_FALSE(times(x, x).requires_grad());
  }
  EXPECT_FALSE(times(x.detach(), x.detach()).requires_grad());
  EXPECT_TRUE(times(x, x).requires_grad());
  EXPECT_THROW(times(x.detach(), x.detach()).backward(), Error);
}

TEST(Autograd, BackwardChecksSeedShape) {
  Var x(Tensor::full({2}, 1.0), true);
  Var y = times(x, x);
  EXPECT_THROW(y.backward(), Error);  // not a scalar
  EXPECT_THROW(y.backward(Tensor::ones({3})), Error);
}

TEST(Autograd, DeepChainDoesNotOverflowTheStack) {
  Var x(Tensor::full({1}, 1.0), true);
  Var y = x;
  for (int i = 0; i < 100000; ++i) y = times(y, Var(Tensor::full({1}, 1.0)));
  y.backward();
  EXPECT_EQ(x.grad().item<float>(), 1.0f);
}

}  // namespace
}  // namespace attend

namespace attend {
namespace {

TEST(Autograd, DeepGraphIsFreedWithoutBackward) {
  Var x(Tensor::full({1}, 1.0), true);
  {
    Var y = x;
    for (int i = 0; i < 200000; ++i) y = times(y, Var(Tensor::full({1}, 1.0)));
  }  // destroyed here without backward: must not recurse once per node
  SUCCEED();
}

}  // namespace
}  // namespace attend

namespace attend {
namespace {

TEST(Autograd, SetValueReplacesALeafForEveryCopy) {
  Var x(Tensor::full({2}, 1.0), true);
  Var copy = x;
  times(x, x).backward(Tensor::ones({2}));
  ASSERT_TRUE(x.grad().defined());
  x.set_value(Tensor::full({3}, 2.0, DType::f64));
  EXPECT_EQ(copy.dtype(), DType::f64);
  EXPECT_EQ(copy.shape(), (Shape{3}));
  EXPECT_FALSE(copy.grad().defined());
  EXPECT_THROW(times(x, x).set_value(Tensor::ones({3})), Error);
  EXPECT_THROW(x.set_value(Tensor::ones({3}, DType::i64)), Error);
}

TEST(Autograd, SliceGradientsAccumulateWithoutTouchingSharedGradients) {
  // u receives a full gradient that is a view of the seed (concat passes views of gy) and two slice gradients: the
  // engine must copy before adding in place, so the seed stays as it was.
  Var x(Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {3, 2}), true);
  const Var u = x * 2.0;                                                       // [3, 2]
  const Var out = concat({u, narrow(u, 0, 1, 2), reshape(select(u, 0, 0), {1, 2})}, 0);  // [6, 2]
  const Tensor seed = Tensor::from_vector<double>({1, 1, 1, 1, 1, 1, 10, 10, 10, 10, 100, 100}, {6, 2});
  const std::vector<double> seed_before = seed.to_vector<double>();
  out.backward(seed);
  EXPECT_EQ(seed.to_vector<double>(), seed_before);
  // du = [1 + 100, 1 + 10, 1 + 10] per row; dx = 2 du.
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{202, 202, 22, 22, 22, 22}));
}

TEST(Autograd, PerStepSelectsGiveTheFullGradient) {
  Var x(Tensor::arange(24, DType::f64).reshape({2, 4, 3}), true);  // [B, T, C]
  Var total;
  for (int64_t t = 0; t < 4; ++t) {
    const Var step = select(x, 1, t) * static_cast<double>(t + 1);  // [B, C]
    total = total.defined() ? total + step : step;
  }
  sum(total).backward();
  const Tensor g = x.grad();
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 4; ++t)
      for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(g.at({b, t, c}), static_cast<double>(t + 1));
}

}  // namespace
}  // namespace attend
