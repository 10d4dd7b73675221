#include "attend/tensor/linalg.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/tensor/elementwise.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::all_close;

// Reference product with plain loops, in f64.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  std::vector<double> out(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) out[static_cast<size_t>(i * n + j)] += a.at({i, p}) * b.at({p, j});
  return Tensor::from_vector(out, {m, n});
}

TEST(Matmul, MatchesNaiveForEveryTransposeCombination) {
  Rng rng(5);
  const Tensor a = Tensor::randn({7, 5}, rng, DType::f64);
  const Tensor b = Tensor::randn({5, 3}, rng, DType::f64);
  const Tensor want = naive_matmul(a, b);
  const Tensor at = a.transpose(0, 1).contiguous().transpose(0, 1);  // column-major view of a
  const Tensor bt = b.transpose(0, 1).contiguous().transpose(0, 1);
  EXPECT_TRUE(all_close(matmul(a, b), want, 1e-12));
  EXPECT_TRUE(all_close(matmul(at, b), want, 1e-12));
  EXPECT_TRUE(all_close(matmul(a, bt), want, 1e-12));
  EXPECT_TRUE(all_close(matmul(at, bt), want, 1e-12));
  // A strided view that is neither row- nor column-contiguous is copied first.
  const Tensor wide = Tensor::randn({7, 10}, rng, DType::f64);
  const Tensor every_other = wide.reshape({7, 5, 2}).select(2, 0);  // [7, 5], strides [10, 2]
  EXPECT_TRUE(all_close(matmul(every_other, b), naive_matmul(every_other.contiguous(), b), 1e-12));
}

TEST(Matmul, BatchBroadcastAndVectors) {
  Rng rng(6);
  const Tensor a = Tensor::randn({2, 1, 4, 3}, rng, DType::f64);
  const Tensor b = Tensor::randn({5, 3, 2}, rng, DType::f64);
  const Tensor c = matmul(a, b);  // [2, 5, 4, 2]
  ASSERT_EQ(c.shape(), (Shape{2, 5, 4, 2}));
  EXPECT_TRUE(all_close(c.select(0, 1).select(0, 3), naive_matmul(a.select(0, 1).select(0, 0), b.select(0, 3)), 1e-12));
  const Tensor v = Tensor::randn({3}, rng, DType::f64);
  EXPECT_EQ(matmul(a.select(0, 0).select(0, 0), v).shape(), (Shape{4}));
  EXPECT_EQ(matmul(v, b).shape(), (Shape{5, 2}));
  EXPECT_EQ(matmul(v, v).dim(), 0);
}

TEST(Matmul, EmptyDimsAndErrors) {
  EXPECT_EQ(matmul(Tensor::zeros({0, 3}), Tensor::zeros({3, 4})).shape(), (Shape{0, 4}));
  EXPECT_EQ(matmul(Tensor::ones({2, 0}), Tensor::ones({0, 4})).to_vector<float>(), std::vector<float>(8, 0.0f));
  try {
    matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 5}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("matmul: a.shape[-1] must equal b.shape[-2] (got 3 and 4); shapes [2, 3] and [4, 5]"));
  }
  EXPECT_THROW(matmul(Tensor::zeros({2, 3}), Tensor::zeros({3, 2}, DType::f64)), Error);
  EXPECT_THROW(matmul(Tensor::zeros({2, 3, 3}), Tensor::zeros({4, 3, 3})), Error);  // batch 2 vs 4
}

TEST(GemmInto, AccumulatesWithAlphaBeta) {
  Rng rng(8);
  const Tensor a = Tensor::randn({3, 4}, rng, DType::f64);
  const Tensor b = Tensor::randn({4, 2}, rng, DType::f64);
  const Tensor c0 = Tensor::randn({3, 2}, rng, DType::f64);
  const Tensor c = c0.clone();
  gemm_into(a, b, c, 2.0, 0.5);
  EXPECT_TRUE(all_close(c, naive_matmul(a, b) * 2.0 + c0 * 0.5, 1e-12));
  const Tensor d = c0.clone();
  gemm_into(Tensor::zeros({3, 0}, DType::f64), Tensor::zeros({0, 2}, DType::f64), d, 1.0, 3.0);
  EXPECT_TRUE(all_close(d, c0 * 3.0, 1e-12));
  EXPECT_THROW(gemm_into(a, b, Tensor::zeros({3, 3}, DType::f64)), Error);
  EXPECT_THROW(gemm_into(a, b, Tensor::zeros({2, 3}, DType::f64).transpose(0, 1)), Error);
}

}  // namespace
}  // namespace attend
