// WeightPackGuard: linear() under the guard against the BLAS path outside it (values and every gradient), the
// cache's reuse rules, nesting, a backward after the guard ended, and 1 vs 2 threads.
#include "attend/ops/weight_pack.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/kernels/row_gemm.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::all_close;
using testing::bitwise_equal;

struct Result {
  Tensor y, dx, dw, db;
};

// y = linear(x, w, b) (w a [out, in] view of `w_base` when given a narrow), loss = Σ y ⊙ r.
Result run(const Tensor& x0, const Tensor& w_base, const Tensor& b0, int64_t col0, int64_t in, bool guarded,
           bool backward_after_guard = false) {
  Var x(x0.clone(), true), wb(w_base.clone(), true), b;
  if (b0.defined()) b = Var(b0.clone(), true);
  const Var w = narrow(wb, 1, col0, in);  // [out, in] with row stride w_base.size(1)
  Var loss;
  Tensor y;
  {
    std::optional<WeightPackGuard> guard;
    if (guarded) guard.emplace();
    const Var yv = linear(x, w, b0.defined() ? b : Var());
    y = yv.value();
    Rng rng(7);
    loss = sum(mul(yv, Var(Tensor::randn(yv.shape(), rng))));
    if (!backward_after_guard) loss.backward();
  }
  if (backward_after_guard) loss.backward();
  return {y, x.grad(), wb.grad(), b0.defined() ? b.grad() : Tensor()};
}

void expect_close(const Result& a, const Result& b) {
  EXPECT_TRUE(all_close(a.y, b.y, 1e-5, 1e-5)) << "y";
  EXPECT_TRUE(all_close(a.dx, b.dx, 1e-5, 1e-5)) << "dx";
  EXPECT_TRUE(all_close(a.dw, b.dw, 1e-5, 1e-5)) << "dW";
  if (a.db.defined()) {
    EXPECT_TRUE(all_close(a.db, b.db, 1e-5, 1e-5)) << "db";
  }
}

TEST(WeightPack, GuardedLinearMatchesBlasForValuesAndGradients) {
  if (!kernels::row_gemm_vectorized()) GTEST_SKIP() << "no AVX-512: linear() keeps BLAS under the guard";
  Rng rng(3);
  const int64_t out = 150, in = 70;  // panels of 64 columns with a tail, both ways
  const Tensor w_base = Tensor::randn({out, in + 9}, rng);
  const Tensor b = Tensor::randn({out}, rng);
  for (int64_t rows : {int64_t{1}, int64_t{7}, int64_t{32}, kPackedLinearRows}) {
    SCOPED_TRACE(rows);
    const Tensor x = Tensor::randn({rows, in}, rng);
    expect_close(run(x, w_base, b, 5, in, true), run(x, w_base, b, 5, in, false));
    expect_close(run(x, w_base, Tensor(), 0, in, true), run(x, w_base, Tensor(), 0, in, false));
  }
  // x with strided rows and leading dims: [2, 3, in] selected from [2, 5, in]
  const Tensor big = Tensor::randn({2, 5, in}, rng);
  const Tensor x = big.narrow(1, 1, 3);
  expect_close(run(x, w_base, b, 9, in, true), run(x, w_base, b, 9, in, false));
}

TEST(WeightPack, BackwardAfterTheGuardEndedUsesTheSamePanels) {
  if (!kernels::row_gemm_vectorized()) GTEST_SKIP() << "no AVX-512";
  Rng rng(4);
  const Tensor w = Tensor::randn({40, 33}, rng), b = Tensor::randn({40}, rng), x = Tensor::randn({5, 33}, rng);
  expect_close(run(x, w, b, 0, 33, true, /*backward_after_guard=*/true), run(x, w, b, 0, 33, false));
}

TEST(WeightPack, PacksEachWeightOnceAndOnlyWhereItApplies) {
  Rng rng(5);
  const Tensor w = Tensor::randn({64, 48}, rng);
  EXPECT_EQ(detail::packed_weight(w, 4), nullptr) << "no guard";
  WeightPackGuard guard;
  const auto p = detail::packed_weight(w, 4);
  if (!kernels::row_gemm_vectorized()) {
    EXPECT_EQ(p, nullptr);
    GTEST_SKIP() << "no AVX-512";
  }
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(detail::packed_weight(w, kPackedLinearRows), p) << "the same weight again";
  EXPECT_EQ(detail::packed_weight(Tensor(w), 1), p) << "a copy of the handle shares the storage";
  EXPECT_EQ(detail::packed_weight(w, kPackedLinearRows + 1), nullptr) << "too many rows: BLAS";
  EXPECT_EQ(detail::packed_weight(w.to(DType::f64), 4), nullptr) << "f64: BLAS";
  const auto left = detail::packed_weight(w.narrow(1, 0, 24), 4), right = detail::packed_weight(w.narrow(1, 24, 24), 4);
  ASSERT_NE(left, nullptr);
  EXPECT_NE(left, p);
  EXPECT_NE(left, right) << "other columns of the same storage";
  EXPECT_NE(detail::packed_weight(w.transpose(0, 1), 4), p) << "other strides";
  EXPECT_NE(detail::packed_weight(w.clone(), 4), p) << "equal values, other storage";
  {
    WeightPackGuard inner;  // nested: shares the outer guard's panels and leaves them when it ends
    EXPECT_EQ(detail::packed_weight(w, 4), p);
  }
  EXPECT_EQ(detail::packed_weight(w, 4), p);
}

TEST(WeightPack, OneAndTwoThreadsAgreeBitwise) {
  if (!kernels::row_gemm_vectorized()) GTEST_SKIP() << "no AVX-512";
  Rng rng(6);
  const Tensor w = Tensor::randn({300, 200}, rng), b = Tensor::randn({300}, rng), x = Tensor::randn({32, 200}, rng);
  const int before = num_threads();
  std::vector<Result> r;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    r.push_back(run(x, w, b, 0, 200, true));
  }
  set_num_threads(before);
  EXPECT_TRUE(bitwise_equal(r[0].y, r[1].y));
  EXPECT_TRUE(bitwise_equal(r[0].dx, r[1].dx));
  EXPECT_TRUE(bitwise_equal(r[0].dw, r[1].dw));
  EXPECT_TRUE(bitwise_equal(r[0].db, r[1].db));
}

}  // namespace
}  // namespace attend
