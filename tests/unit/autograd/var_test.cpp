#include "attend/autograd/var.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "attend/autograd/node.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/linalg.hpp"
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

// y = x·wᵀ with the weight's gradient left to the engine as gyᵀ·x (Grads::set_outer), as linear does.
Var times_transposed(const Var& x, const Var& w) {
  return make_result(matmul(x.value(), w.value().transpose(0, 1)), {x, w},
                     [x = x.value(), w = w.value()](const Tensor& g, Grads& grads) {
                       if (grads.needs(0)) grads[0] = matmul(g, w);
                       if (grads.needs(1)) grads.set_outer(1, g, x);
                     },
                     "times_transposed");
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

// A weight used at every step through times_transposed, once through a narrowed view of it and once elementwise:
// the gradient is the sum of every step's gyᵀ·x, the slice's and the elementwise part, whatever order they arrive in.
TEST(Autograd, OuterGradientsOfAWeightUsedAtEveryStepSumToTheirProducts) {
  Rng rng(5);
  Var w(Tensor::randn({3, 4}, rng, DType::f64), true);
  const Var w_cols = narrow(w, 1, 1, 2);  // [3, 2], one view for all steps (as the attention decoder makes it)
  std::vector<Tensor> xs, xcs, gys;
  Var loss;
  for (int64_t t = 0; t < 5; ++t) {
    xs.push_back(Tensor::randn({2 + t, 4}, rng, DType::f64));  // K differs per step
    xcs.push_back(Tensor::randn({2 + t, 2}, rng, DType::f64));
    gys.push_back(Tensor::randn({2 + t, 3}, rng, DType::f64));
    const Var y = times_transposed(Var(xs.back()), w) + times_transposed(Var(xcs.back()), w_cols);  // [2 + t, 3]
    const Var step = sum(y * Var(gys.back()));
    loss = loss.defined() ? loss + step : step;
  }
  loss = loss + sum(w * w);
  loss.backward();
  Tensor expected = w.value() * 2.0;
  for (size_t t = 0; t < xs.size(); ++t) {
    expected = expected + matmul(gys[t].transpose(0, 1), xs[t]);
    add_into(expected.narrow(1, 1, 2), matmul(gys[t].transpose(0, 1), xcs[t]));
  }
  EXPECT_TRUE(testing::all_close(w.grad(), expected, 1e-12, 1e-12));
  // A second backward adds to the gradient the first one left.
  const Tensor first = w.grad().clone();
  times_transposed(Var(xs[0]), w).backward(gys[0]);
  EXPECT_TRUE(testing::all_close(w.grad(), first + matmul(gys[0].transpose(0, 1), xs[0]), 1e-12, 1e-12));
}

// An outer gradient that reaches a Var which is itself the output of an op (not a leaf) is resolved before that op's
// backward runs: here w2 = 3·w, so dL/dw = 3 Σ gyᵀ·x.
TEST(Autograd, OuterGradientOfAnIntermediateIsResolvedForItsOp) {
  Rng rng(6);
  Var w(Tensor::randn({2, 3}, rng, DType::f64), true);
  const Var w3 = w * 3.0;
  const Tensor x1 = Tensor::randn({4, 3}, rng, DType::f64), x2 = Tensor::randn({1, 3}, rng, DType::f64);
  const Tensor g1 = Tensor::randn({4, 2}, rng, DType::f64), g2 = Tensor::randn({1, 2}, rng, DType::f64);
  (sum(times_transposed(Var(x1), w3) * Var(g1)) + sum(times_transposed(Var(x2), w3) * Var(g2))).backward();
  const Tensor expected = (matmul(g1.transpose(0, 1), x1) + matmul(g2.transpose(0, 1), x2)) * 3.0;
  EXPECT_TRUE(testing::all_close(w.grad(), expected, 1e-12, 1e-12));
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

TEST(Autograd, DisjointSliceGradientsLeaveTheUncoveredRowsZeroAndOverlapsAdd) {
  // Slice gradients meet in one input gradient: disjoint slices of one dim (with gaps, which must read zero), an
  // overlapping slice, a slice along another dim and a full gradient all add up.
  auto grad_of = [](const std::function<Var(const Var&)>& f) {
    Var x(Tensor::zeros({6, 2}, DType::f64), true);
    sum(f(x)).backward();
    return x.grad().to_vector<double>();
  };
  // rows 0-1 ×1, row 3 ×10; rows 2, 4, 5 get nothing
  const auto gaps = grad_of([](const Var& x) { return concat({narrow(x, 0, 3, 1) * 10.0, narrow(x, 0, 0, 2)}, 0); });
  EXPECT_EQ(gaps, (std::vector<double>{1, 1, 1, 1, 0, 0, 10, 10, 0, 0, 0, 0}));
  // rows 1-3 again ×100: overlaps rows 1 and 3
  const auto overlap = grad_of([](const Var& x) {
    return concat({narrow(x, 0, 3, 1) * 10.0, narrow(x, 0, 0, 2), narrow(x, 0, 1, 3) * 100.0}, 0);
  });
  EXPECT_EQ(overlap, (std::vector<double>{1, 1, 101, 101, 100, 100, 110, 110, 0, 0, 0, 0}));
  // column 1 of every row ×1000 (dim 1) after two row slices
  const auto other_dim = grad_of([](const Var& x) {
    const Var column = reshape(narrow(x, 1, 1, 1) * 1000.0, {3, 2});
    return concat({reshape(narrow(x, 0, 4, 2), {2, 2}), narrow(x, 0, 0, 1) * 2.0, column}, 0);
  });
  EXPECT_EQ(other_dim, (std::vector<double>{2, 1002, 0, 1000, 0, 1000, 0, 1000, 1, 1001, 1, 1001}));
  // a full gradient after a slice
  const auto full = grad_of([](const Var& x) { return concat({narrow(x, 0, 5, 1) * 3.0, x}, 0); });
  EXPECT_EQ(full, (std::vector<double>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 4}));
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

// An op whose outer gradient does not fit its input ([3, 2] from factors [2, 3]ᵀ·[2, 3]) is reported by name,
// without touching the input's gradient.
TEST(Autograd, AnOuterGradientOfTheWrongShapeIsReported) {
  Var w(Tensor::ones({3, 2}, DType::f64), true);
  const Var y = make_result(w.value().clone(), {w}, [](const Tensor& g, Grads& grads) {
    grads.set_outer(0, Tensor::ones({2, 3}, DType::f64), Tensor::ones({2, 3}, DType::f64));
    (void)g;
  }, "misshapen_outer");
  const std::string msg = testing::error_of([&] { y.backward(Tensor::ones({3, 2}, DType::f64)); });
  EXPECT_THAT(msg, ::testing::HasSubstr("'misshapen_outer' returned an outer gradient [2, 3]"));
  EXPECT_THAT(msg, ::testing::HasSubstr("for an input [3, 2]"));
  EXPECT_FALSE(w.grad().defined());
}

}  // namespace
}  // namespace attend
