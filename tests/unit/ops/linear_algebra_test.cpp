#include "attend/ops/linear_algebra.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/ops/shape.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/linalg.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;
using testing::all_close;

Tensor values(const std::vector<float>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }
Var param(const std::vector<float>& v, const Shape& shape) { return Var(values(v, shape), true); }

TEST(MatmulOp, ForwardAndBackwardByHand) {
  Var a = param({1, 2, 3, 4, 5, 6}, {2, 3});
  Var b = param({1, 0, 0, 1, 1, 1}, {3, 2});
  Var y = matmul(a, b);
  EXPECT_EQ(y.value().to_vector<float>(), (std::vector<float>{4, 5, 10, 11}));
  y.backward(Tensor::ones({2, 2}));
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{1, 1, 2, 1, 1, 2}));  // gy @ bᵀ
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{5, 5, 7, 7, 9, 9}));  // aᵀ @ gy
}

TEST(MatmulOp, VectorOperandsDropTheirDim) {
  Var a = param({1, 2, 3}, {3});
  Var b = param({4, 5, 6}, {3});
  Var dot = matmul(a, b);
  EXPECT_EQ(dot.shape(), Shape{});
  EXPECT_EQ(dot.value().item<float>(), 32.0f);
  dot.backward(Tensor::scalar(2.0));
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{8, 10, 12}));
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{2, 4, 6}));
  Var m = param({1, 0, 0, 1, 2, 2}, {2, 3});
  EXPECT_EQ(matmul(m, b).value().to_vector<float>(), (std::vector<float>{4, 26}));  // [2, 3] @ [3] -> [2]
  EXPECT_EQ(matmul(a, transpose(m, 0, 1)).value().to_vector<float>(), (std::vector<float>{1, 11}));  // [3] @ [3, 2]
}

TEST(MatmulOp, BatchDimsBroadcast) {
  Rng rng(1);
  const Tensor a = Tensor::randn({2, 1, 3, 4}, rng), b = Tensor::randn({3, 4, 2}, rng);
  const Var y = matmul(Var(a), Var(b));
  ASSERT_EQ(y.shape(), (Shape{2, 3, 3, 2}));
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      for (int64_t m = 0; m < 3; ++m) {
        for (int64_t n = 0; n < 2; ++n) {
          double s = 0;
          for (int64_t k = 0; k < 4; ++k) s += a.at({i, 0, m, k}) * b.at({j, k, n});
          EXPECT_NEAR(y.value().at({i, j, m, n}), s, 1e-5);
        }
      }
    }
  }
}

TEST(MatmulOp, BatchedByMatrixGradientSumsOverTheBatch) {
  Rng rng(2);
  Var a(Tensor::randn({3, 2, 4}, rng), true);
  Var b(Tensor::randn({4, 5}, rng), true);
  const Tensor gy = Tensor::randn({3, 2, 5}, rng);
  matmul(a, b).backward(gy);
  Tensor expect_b = Tensor::zeros({4, 5});
  for (int64_t i = 0; i < 3; ++i) expect_b = expect_b + matmul(a.value().select(0, i).transpose(0, 1), gy.select(0, i));
  EXPECT_TRUE(all_close(b.grad(), expect_b, 1e-5, 1e-5));
  EXPECT_TRUE(all_close(a.grad(), matmul(gy, b.value().transpose(0, 1)), 1e-5, 1e-5));
}

TEST(MatmulOp, TransposedViewsMatchContiguousCopies) {
  Rng rng(3);
  const Tensor at = Tensor::randn({6, 5}, rng), bt = Tensor::randn({7, 6}, rng);
  Var a1(at, true), b1(bt, true);
  Var a2(at.transpose(0, 1).contiguous(), true), b2(bt.transpose(0, 1).contiguous(), true);
  const Var y1 = matmul(transpose(a1, 0, 1), transpose(b1, 0, 1));  // [5, 6] @ [6, 7]
  const Var y2 = matmul(a2, b2);
  EXPECT_TRUE(all_close(y1.value(), y2.value(), 1e-5, 1e-5));
  const Tensor gy = Tensor::randn({5, 7}, rng);
  y1.backward(gy);
  y2.backward(gy);
  EXPECT_TRUE(all_close(a1.grad(), a2.grad().transpose(0, 1), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(b1.grad(), b2.grad().transpose(0, 1), 1e-5, 1e-5));
}

TEST(MatmulOp, ErrorsNameBothShapes) {
  const Var m23(Tensor::zeros({2, 3})), m45(Tensor::zeros({4, 5}));
  EXPECT_THAT(error_of([&] { matmul(m23, m45); }),
              HasSubstr("matmul: a.shape[-1] must equal b.shape[-2] (expected 3, got 4); "
                        "a shape [2, 3], b shape [4, 5]"));
  EXPECT_THAT(error_of([&] { matmul(m23, Var(Tensor::zeros({4}))); }),
              HasSubstr("a.shape[-1] must equal b.shape[0] (expected 3, got 4)"));
  EXPECT_THAT(error_of([&] { matmul(Var(Tensor::zeros({2, 3, 4})), Var(Tensor::zeros({3, 4, 5}))); }),
              HasSubstr("matmul: batch dims [2] and [3] do not broadcast; a shape [2, 3, 4], b shape [3, 4, 5]"));
  EXPECT_THAT(error_of([&] { matmul(Var(Tensor::scalar(1.0)), m23); }), HasSubstr("at least 1 dim"));
  EXPECT_THAT(error_of([&] { matmul(m23, Var(Tensor::zeros({3, 2}, DType::f64))); }),
              HasSubstr("matmul: a is f32 but b is f64"));
  EXPECT_THAT(error_of([&] { matmul(Var(), m23); }), HasSubstr("matmul: a or b is undefined"));
}

TEST(LinearOp, ForwardAndBackwardByHand) {
  Var x = param({1, 2, 3, 4}, {2, 2});
  Var w = param({1, 0, 0, 1, 1, 1}, {3, 2});
  Var b = param({10, 20, 30}, {3});
  Var y = linear(x, w, b);
  EXPECT_EQ(y.value().to_vector<float>(), (std::vector<float>{11, 22, 33, 13, 24, 37}));
  y.backward(values({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{4, 5, 10, 11}));             // gy @ W
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{13, 18, 17, 24, 21, 30}));  // gyᵀ @ x
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{5, 7, 9}));                  // column sums
}

TEST(LinearOp, LeadingDimsAreKeptAndBiasIsOptional) {
  Rng rng(4);
  const Tensor x = Tensor::randn({2, 3, 4}, rng), w = Tensor::randn({5, 4}, rng), b = Tensor::randn({5}, rng);
  const Var y = linear(Var(x), Var(w), Var(b));
  ASSERT_EQ(y.shape(), (Shape{2, 3, 5}));
  EXPECT_TRUE(all_close(y.value(), matmul(x, w.transpose(0, 1)) + b, 1e-5, 1e-5));
  EXPECT_TRUE(all_close(linear(Var(x), Var(w)).value(), matmul(x, w.transpose(0, 1)), 1e-5, 1e-5));
  EXPECT_EQ(linear(Var(x.select(0, 0).select(0, 0)), Var(w)).shape(), (Shape{5}));  // 1-D input
}

TEST(LinearOp, OnlyRequestedGradientsAreComputed) {
  Var x(Tensor::ones({3, 2}), false);
  Var w(Tensor::ones({4, 2}), true);
  Var b(Tensor::zeros({4}), false);
  linear(x, w, b).backward(Tensor::ones({3, 4}));
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  EXPECT_EQ(w.grad().to_vector<float>(), std::vector<float>(8, 3.0f));
}

TEST(LinearOp, ErrorsNameBothShapes) {
  const Var x(Tensor::zeros({2, 7, 32}));
  EXPECT_THAT(error_of([&] { linear(x, Var(Tensor::zeros({16, 64}))); }),
              HasSubstr("linear: input.shape[-1] must equal weight.shape[1] (in_features) (expected 64, got 32); "
                        "input shape [2, 7, 32], weight shape [16, 64]"));
  EXPECT_THAT(error_of([&] { linear(x, Var(Tensor::zeros({32}))); }),
              HasSubstr("linear: weight must be 2-D [out_features, in_features], got shape [32]"));
  EXPECT_THAT(error_of([&] { linear(x, Var(Tensor::zeros({16, 32})), Var(Tensor::zeros({15}))); }),
              HasSubstr("linear: bias must have shape [16] (out_features), got [15]; weight shape [16, 32]"));
  EXPECT_THAT(error_of([&] { linear(x, Var(Tensor::zeros({16, 32}, DType::f64))); }),
              HasSubstr("linear: input is f32 but weight is f64; input shape [2, 7, 32], weight shape [16, 32]"));
  EXPECT_THAT(error_of([&] { linear(x, Var(Tensor::zeros({16, 32})), Var(Tensor::zeros({16}, DType::f64))); }),
              HasSubstr("linear: bias is f64 but weight is f32"));
  EXPECT_THAT(error_of([&] { linear(Var(Tensor::scalar(1.0)), Var(Tensor::zeros({1, 1}))); }),
              HasSubstr("linear: input must have at least 1 dim"));
}

}  // namespace
}  // namespace attend
