#include "attend/tensor/tensor.hpp"

#include <gtest/gtest.h>

#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/linalg.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::all_close;

Tensor iota(const Shape& shape) { return Tensor::arange(numel(shape)).reshape(shape); }

TEST(Tensor, CreationFillsValues) {
  EXPECT_EQ(Tensor::zeros({2, 3}).to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(Tensor::full({2}, 2.5, DType::f64).to_vector<double>(), (std::vector<double>{2.5, 2.5}));
  EXPECT_EQ(Tensor::arange(1.0, 2.0, 0.25).to_vector<float>(), (std::vector<float>{1.0f, 1.25f, 1.5f, 1.75f}));
  EXPECT_EQ(Tensor::scalar(3.0).dim(), 0);
  EXPECT_EQ(Tensor::scalar(3.0).item<float>(), 3.0f);
}

TEST(Tensor, FromVectorChecksCount) {
  EXPECT_THROW(Tensor::from_vector(std::vector<float>{1, 2, 3}, {2, 2}), Error);
}

TEST(Tensor, TransposeIsAViewAndContiguousCopies) {
  const Tensor x = iota({2, 3});
  const Tensor t = x.transpose(0, 1);  // [3, 2]
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.storage(), x.storage());
  EXPECT_EQ(t.contiguous().to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Tensor, ReshapeViewsWhenPossibleAndCopiesOtherwise) {
  const Tensor x = iota({2, 3, 4});
  const Tensor r = x.reshape({6, -1});
  EXPECT_EQ(r.shape(), (Shape{6, 4}));
  EXPECT_EQ(r.storage(), x.storage());
  const Tensor t = x.transpose(1, 2);  // [2, 4, 3]
  EXPECT_THROW(t.view({8, 3}), Error);
  const Tensor c = t.reshape({8, 3});
  EXPECT_NE(c.storage(), x.storage());
  EXPECT_EQ(c.at({1, 0}), 1.0);  // c[1][0] = t[0][1][0] = x[0][0][1] = 1
}

TEST(Tensor, NarrowSelectExpandUnsqueeze) {
  const Tensor x = iota({3, 4});
  EXPECT_EQ(x.narrow(1, 1, 2).contiguous().to_vector<float>(), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  EXPECT_EQ(x.select(0, -1).to_vector<float>(), (std::vector<float>{8, 9, 10, 11}));
  const Tensor e = Tensor::arange(3).unsqueeze(1).expand({3, 2});
  EXPECT_EQ(e.stride(1), 0);
  EXPECT_EQ(e.contiguous().to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 2, 2}));
  EXPECT_THROW(x.narrow(1, 3, 2), Error);
  EXPECT_THROW(x.select(2, 0), Error);
  EXPECT_THROW(x.expand({3, 5}), Error);
  EXPECT_THROW(x.permute({0, 0}), Error);
}

TEST(Tensor, BroadcastingArithmetic) {
  const Tensor a = iota({2, 3});
  const Tensor b = Tensor::from_vector(std::vector<float>{10, 20, 30}, {3});
  EXPECT_EQ((a + b).to_vector<float>(), (std::vector<float>{10, 21, 32, 13, 24, 35}));
  EXPECT_EQ((a * 2.0).to_vector<float>(), (std::vector<float>{0, 2, 4, 6, 8, 10}));
  EXPECT_THROW(a + Tensor::zeros({2}), Error);
  EXPECT_THROW(a + Tensor::zeros({2, 3}, DType::f64), Error);
}

TEST(Tensor, ReductionsAndSumTo) {
  const Tensor x = iota({2, 3, 4});
  EXPECT_EQ(sum(x).item<float>(), 276.0f);
  EXPECT_EQ(sum(x, {0, 2}).to_vector<float>(), (std::vector<float>{60, 92, 124}));
  EXPECT_EQ(sum(x, {1}, true).shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(amax(x, {-1}).to_vector<float>(), (std::vector<float>{3, 7, 11, 15, 19, 23}));
  EXPECT_EQ(argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>(8, 2)));
  EXPECT_EQ(sum_to(x, {3, 1}).to_vector<float>(), (std::vector<float>{60, 92, 124}));
  EXPECT_THROW(sum(x, {3}), Error);
  EXPECT_THROW(sum(x, {1, 1}), Error);
}

TEST(Tensor, MatmulUsesTransposedViews) {
  Rng rng(1);
  const Tensor a = Tensor::randn({5, 7}, rng);
  const Tensor b = Tensor::randn({3, 7}, rng);
  const Tensor viaview = matmul(a, b.transpose(0, 1));
  const Tensor viacopy = matmul(a, b.transpose(0, 1).contiguous());
  EXPECT_TRUE(all_close(viaview, viacopy, 1e-5, 1e-5));
  const Tensor batched = matmul(Tensor::randn({4, 5, 7}, rng), b.transpose(0, 1));
  EXPECT_EQ(batched.shape(), (Shape{4, 5, 3}));
  EXPECT_THROW(matmul(a, b), Error);
}

}  // namespace
}  // namespace attend

namespace attend {
namespace {

TEST(Tensor, ReducingAScalarOverItsOnlyDimIsTheScalar) {
  EXPECT_EQ(sum(Tensor::scalar(2.0), {0}).item<float>(), 2.0f);
  EXPECT_EQ(sum(Tensor::scalar(2.0), {-1}).dim(), 0);
  EXPECT_THROW(sum(Tensor::scalar(2.0), {1}), Error);
}

}  // namespace
}  // namespace attend

namespace attend {
namespace {

TEST(Tensor, EmptyTensorsAreContiguous) {
  EXPECT_TRUE(Tensor::zeros({2, 0, 3}).is_contiguous());
  EXPECT_TRUE(Tensor::zeros({2, 0, 3}).transpose(0, 2).is_contiguous());
}

TEST(Tensor, HalfPrecisionElementsReadBack) {
  const Tensor h = Tensor::from_vector(std::vector<float>{1.5f, -2.0f, 0.25f}, {3}).to(DType::bf16);
  EXPECT_EQ(h.at({1}), -2.0);
  EXPECT_EQ(h.to_string(), "Tensor(bf16, [3]) [1.5, -2, 0.25]");
}

}  // namespace
}  // namespace attend
