#include "attend/ops/softmax.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "attend/core/threads.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/reduce.hpp"
#include "attend/tensor/softmax.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;
using testing::all_close;
using testing::bitwise_equal;

// exp(x) / Σ exp(x) along dim with plain tensor math (no max subtraction: inputs here are small).
Tensor reference_softmax(const Tensor& x, int64_t dim) {
  const Tensor e = exp(x);
  return e / sum(e, {dim}, true);
}

class SoftmaxByDType : public ::testing::TestWithParam<DType> {};

TEST_P(SoftmaxByDType, HandComputedValues) {
  const DType dt = GetParam();
  const Tensor x = Tensor::from_vector(std::vector<double>{0, std::log(3.0), 1000, 1000, -2, -2}, {3, 2}).to(dt);
  EXPECT_TRUE(all_close(softmax(x, -1), Tensor::from_vector(std::vector<double>{0.25, 0.75, 0.5, 0.5, 0.5, 0.5},
                                                            {3, 2}).to(dt), 1e-6));
  const double l4 = std::log(0.25), l3 = std::log(0.75), l2 = std::log(0.5);
  EXPECT_TRUE(all_close(log_softmax(x, 1), Tensor::from_vector(std::vector<double>{l4, l3, l2, l2, l2, l2},
                                                               {3, 2}).to(dt), 1e-6));
}

TEST_P(SoftmaxByDType, AnyDimMatchesTheReference) {
  const DType dt = GetParam();
  Rng rng(3);
  const Tensor x = Tensor::randn({2, 3, 5}, rng, dt);
  for (int64_t dim : {0, 1, 2, -1}) {
    EXPECT_TRUE(all_close(softmax(x, dim), reference_softmax(x, dim), 1e-6)) << "dim " << dim;
    EXPECT_TRUE(all_close(log_softmax(x, dim), log(reference_softmax(x, dim)), 1e-5)) << "dim " << dim;
  }
  const Tensor xt = x.transpose(0, 2);  // a non-contiguous view, [5, 3, 2]
  EXPECT_TRUE(all_close(softmax(xt, 1), reference_softmax(xt.contiguous(), 1), 1e-6));
}

TEST_P(SoftmaxByDType, FullyMaskedRowGivesZerosNotNaNForwardAndBackward) {
  const DType dt = GetParam();
  const double inf = std::numeric_limits<double>::infinity();
  // Row 0 fully masked, row 1 partly masked, row 2 plain.
  const Tensor scores = Tensor::from_vector(std::vector<double>{-inf, -inf, -inf, -inf, 0, 0, 1, 2, 3}, {3, 3}).to(dt);
  const Tensor seed = Tensor::from_vector(std::vector<double>{1, -2, 3, 0.5, 1, -1, 2, 1, 0}, {3, 3}).to(dt);

  Var x(scores, true);
  Var y = softmax(x, -1);
  EXPECT_TRUE(all_finite(y.value()));
  EXPECT_TRUE(all_close(y.value().narrow(0, 0, 2),
                        Tensor::from_vector(std::vector<double>{0, 0, 0, 0, 0.5, 0.5}, {2, 3}).to(dt)));
  y.backward(seed);
  EXPECT_TRUE(all_finite(x.grad()));
  EXPECT_TRUE(all_close(x.grad().select(0, 0), Tensor::zeros({3}, dt), 0.0));
  // Row 1: y = [0, .5, .5], dy = [.5, 1, -1], Σ dy·y = 0, dx = y ⊙ dy = [0, .5, -.5].
  EXPECT_TRUE(all_close(x.grad().select(0, 1), Tensor::from_vector(std::vector<double>{0, 0.5, -0.5}, {3}).to(dt)));

  Var z(scores, true);
  Var w = log_softmax(z, 1);
  EXPECT_TRUE(all_close(w.value().select(0, 0), Tensor::zeros({3}, dt), 0.0));
  EXPECT_EQ(w.value().at({1, 0}), -inf);  // a single masked entry of a live row stays -inf, as torch
  w.backward(seed);
  EXPECT_TRUE(all_finite(z.grad()));
  EXPECT_TRUE(all_close(z.grad().select(0, 0), Tensor::zeros({3}, dt), 0.0));
}

TEST_P(SoftmaxByDType, MaskedRowAlongANonLastDim) {
  const DType dt = GetParam();
  const double inf = std::numeric_limits<double>::infinity();
  Var x(Tensor::from_vector(std::vector<double>{-inf, 1, -inf, 2}, {2, 2}).to(dt), true);  // column 0 all -inf
  Var y = softmax(x, 0);
  const Tensor want = Tensor::from_vector(std::vector<double>{0, 0.26894142, 0, 0.73105858}, {2, 2}).to(dt);
  EXPECT_TRUE(all_close(y.value(), want));
  y.backward(Tensor::ones({2, 2}, dt));
  EXPECT_TRUE(all_close(x.grad(), Tensor::zeros({2, 2}, dt), 1e-7));
}

TEST_P(SoftmaxByDType, GradientMatchesTheJacobianFormula) {
  const DType dt = GetParam();
  Rng rng(11);
  Var x(Tensor::randn({4, 6}, rng, dt), true);
  const Tensor dy = Tensor::randn({4, 6}, rng, dt);
  Var y = softmax(x, -1);
  y.backward(dy);
  const Tensor p = y.value();
  EXPECT_TRUE(all_close(x.grad(), p * (dy - sum(dy * p, {-1}, true)), 1e-6));

  Var x2(x.value(), true);
  log_softmax(x2, -1).backward(dy);
  EXPECT_TRUE(all_close(x2.grad(), dy - p * sum(dy, {-1}, true), 1e-6));
}

TEST_P(SoftmaxByDType, LengthSoftmaxEqualsTheMaskedSoftmaxForwardAndBackward) {
  const DType dt = GetParam();
  // x [3, 2, 37] (37: more than two AVX-512 vectors, with a tail); lengths: all, a tail, none.
  Rng rng(5);
  const Tensor x = Tensor::randn({3, 2, 37}, rng, dt);
  const Tensor seed = Tensor::randn({3, 2, 37}, rng, dt);
  const Tensor lengths = Tensor::from_vector<int64_t>({37, 19, 0}, {3});
  std::vector<double> bias(3 * 37, 0.0);
  for (int64_t b = 0; b < 3; ++b) {
    for (int64_t j = lengths.to_vector<int64_t>()[static_cast<size_t>(b)]; j < 37; ++j) {
      bias[static_cast<size_t>(b * 37 + j)] = -std::numeric_limits<double>::infinity();
    }
  }
  const Tensor mask = Tensor::from_vector(bias, {3, 1, 37}).to(dt);
  Var a(x, true), b(x, true);
  Var fused = length_softmax(a, lengths);
  Var reference = softmax(add(b, Var(mask)), -1);
  const double tol = dt == DType::f32 ? 1e-6 : 1e-14;
  EXPECT_TRUE(all_close(fused.value(), reference.value(), tol, 0.0));
  EXPECT_TRUE(all_close(fused.value().select(0, 2), Tensor::zeros({2, 37}, dt), 0.0));  // length 0: all zero
  fused.backward(seed);
  reference.backward(seed);
  EXPECT_TRUE(all_finite(a.grad()));
  EXPECT_TRUE(all_close(a.grad(), b.grad(), tol, 0.0));
}

INSTANTIATE_TEST_SUITE_P(Softmax, SoftmaxByDType, ::testing::Values(DType::f32, DType::f64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

TEST(Softmax, LargeInputsDoNotOverflow) {
  const Tensor x = Tensor::from_vector(std::vector<float>{1e30f, 1e30f, 88.0f, 89.0f}, {2, 2});
  const Tensor y = softmax(x, -1);
  EXPECT_TRUE(all_finite(y));
  EXPECT_TRUE(all_close(y, Tensor::from_vector(std::vector<float>{0.5f, 0.5f, 0.26894142f, 0.73105858f}, {2, 2})));
}

TEST(Softmax, ResultsDoNotDependOnTheThreadCount) {
  Rng rng(5);
  const Tensor x = Tensor::randn({512, 96}, rng, DType::f64);  // enough rows for the parallel path
  const Tensor dy = Tensor::randn({512, 96}, rng, DType::f64);
  const int saved = num_threads();
  set_num_threads(1);
  const Tensor y1 = softmax(x, 0), g1 = softmax_backward(dy, y1, 0);
  const Tensor l1 = log_softmax_backward(dy, log_softmax(x, 0), 0);
  set_num_threads(2);
  const Tensor y2 = softmax(x, 0), g2 = softmax_backward(dy, y2, 0);
  const Tensor l2 = log_softmax_backward(dy, log_softmax(x, 0), 0);
  set_num_threads(saved);
  EXPECT_TRUE(bitwise_equal(y1, y2));
  EXPECT_TRUE(bitwise_equal(g1, g2));
  EXPECT_TRUE(bitwise_equal(l1, l2));
}

TEST(Softmax, ErrorsNameTheOpAndTheShape) {
  const Tensor x = Tensor::zeros({2, 3, 5});
  EXPECT_THAT(error_of([&] { softmax(x, 3); }),
              HasSubstr("softmax: dim 3 out of range for a tensor of rank 3 (shape [2, 3, 5])"));
  EXPECT_THAT(error_of([&] { softmax(Var(x), -4); }), HasSubstr("softmax: dim -4 out of range"));
  EXPECT_THAT(error_of([&] { log_softmax(Var(x), 7); }), HasSubstr("log_softmax: dim 7 out of range"));
  EXPECT_THAT(error_of([&] { softmax(Tensor::zeros({4}, DType::i64), 0); }),
              HasSubstr("softmax: expected a floating tensor (f32 or f64), got i64"));
  EXPECT_THAT(error_of([&] { softmax_backward(Tensor::zeros({2, 3}), Tensor::zeros({3, 2}), -1); }),
              HasSubstr("softmax_backward: grad_y f32 [2, 3] must match y f32 [3, 2]"));
  EXPECT_THAT(error_of([&] { log_softmax_backward(Tensor::zeros({2}, DType::f64), Tensor::zeros({2}), 0); }),
              HasSubstr("log_softmax_backward: grad_y f64 [2] must match y f32 [2]"));
  const Tensor lengths = Tensor::from_vector<int64_t>({5, 6}, {2});
  EXPECT_THAT(error_of([&] { length_softmax(x, lengths); }),
              HasSubstr("length_softmax: lengths[1] = 6 is outside [0, T = 5]; x shape [2, 3, 5]"));
  EXPECT_THAT(error_of([&] { length_softmax(x, Tensor::from_vector<int64_t>({5}, {1})); }),
              HasSubstr("length_softmax: lengths must be i64 [B] = [2], got i64 with shape [1]"));
  EXPECT_THAT(error_of([&] { length_softmax(Var(Tensor::zeros({5})), lengths); }),
              HasSubstr("length_softmax: x must be [B, ..., T] (2 or more dims), got shape [5]"));
}

}  // namespace
}  // namespace attend
