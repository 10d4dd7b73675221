// linear() with and without a WeightPackGuard (row_gemm on cached panels for few rows, else BLAS) against the same
// products through tensor matmul for values and every gradient; the guard's reuse rules, nesting, a backward after
// the guard ended, and 1 vs 2 threads.
#include "attend/ops/weight_pack.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/kernels/row_gemm.hpp"
#include "attend/tensor/linalg.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::all_close;
using testing::bitwise_equal;

struct Result {
  Tensor y, dx, dw, db;
};

// y = linear(x, w, b), w = w_base[:, col0 : col0 + in] (a view with row stride w_base.size(1)), loss = Σ y ⊙ r.
Result run(const Tensor& x0, const Tensor& w_base, const Tensor& b0, int64_t col0, int64_t in, bool guarded,
           bool backward_after_guard = false) {
  Var x(x0.clone(), true), wb(w_base.clone(), true), b;
  if (b0.defined()) b = Var(b0.clone(), true);
  const Var w = narrow(wb, 1, col0, in);  // [out, in]
  Var loss;
  Tensor y;
  {
    std::optional<WeightPackGuard> guard;
    if (guarded) guard.emplace();
    const Var yv = linear(x, w, b);
    y = yv.value();
    Rng rng(7);
    loss = sum(mul(yv, Var(Tensor::randn(yv.shape(), rng))));
    if (!backward_after_guard) loss.backward();
  }
  if (backward_after_guard) loss.backward();
  return {y, x.grad(), wb.grad().narrow(1, col0, in), b0.defined() ? b.grad() : Tensor()};
}

// The same through BLAS: y = x Wᵀ + b, dx = r W, dW = rᵀ x, db = Σ_rows r (r: run's upstream gradient).
Result reference(const Tensor& x0, const Tensor& w_base, const Tensor& b0, int64_t col0, int64_t in) {
  const Tensor w = w_base.narrow(1, col0, in);
  const Tensor x2 = x0.reshape({-1, in});
  Tensor y2 = matmul(x2, w.transpose(0, 1));
  if (b0.defined()) y2 = add(y2, b0);
  Shape y_shape = x0.shape();
  y_shape.back() = w.size(0);
  Rng rng(7);
  const Tensor r2 = Tensor::randn(y_shape, rng).reshape({-1, w.size(0)});
  return {y2.reshape(y_shape), matmul(r2, w).reshape(x0.shape()), matmul(r2.transpose(0, 1), x2),
          b0.defined() ? sum(r2, {0}) : Tensor()};
}

// Sums of up to 300 products of N(0, 1) values (|sum| ~ 17) in another order: f32 rounding differs by ~1e-5.
void expect_close(const Result& a, const Result& b) {
  EXPECT_TRUE(all_close(a.y, b.y, 1e-4, 1e-5)) << "y";
  EXPECT_TRUE(all_close(a.dx, b.dx, 1e-4, 1e-5)) << "dx";
  EXPECT_TRUE(all_close(a.dw, b.dw, 1e-4, 1e-5)) << "dW";
  if (a.db.defined()) {
    EXPECT_TRUE(all_close(a.db, b.db, 1e-4, 1e-5)) << "db";
  }
}

TEST(WeightPack, LinearMatchesBlasForValuesAndGradients) {
  Rng rng(3);
  // (out, in): panels of 64 with tails both ways, K up to 300
  const std::pair<int64_t, int64_t> dims[] = {{150, 70}, {300, 70}, {100, 260}, {257, 300}};
  for (const auto& [out, in] : dims) {
    const Tensor w_base = Tensor::randn({out, in + 9}, rng);
    const Tensor b = Tensor::randn({out}, rng);
    for (int64_t rows : {int64_t{1}, int64_t{7}, kPackedLinearRows, kPackedLinearRows + 1, int64_t{300}}) {
      SCOPED_TRACE(::testing::Message() << "out " << out << ", in " << in << ", rows " << rows);
      const Tensor x = Tensor::randn({rows, in}, rng);
      for (bool guarded : {false, true}) {
        expect_close(run(x, w_base, b, 5, in, guarded), reference(x, w_base, b, 5, in));
        expect_close(run(x, w_base, Tensor(), 0, in, guarded), reference(x, w_base, Tensor(), 0, in));
      }
    }
    // x with strided rows and leading dims: [2, 3, in] narrowed from [2, 5, in]
    const Tensor x = Tensor::randn({2, 5, in}, rng).narrow(1, 1, 3);
    expect_close(run(x, w_base, b, 9, in, true), reference(x, w_base, b, 9, in));
    expect_close(run(x, w_base, b, 9, in, false), reference(x, w_base, b, 9, in));
  }
}

TEST(WeightPack, BackwardAfterTheGuardEndedUsesTheSamePanels) {
  Rng rng(4);
  const Tensor w = Tensor::randn({40, 33}, rng), b = Tensor::randn({40}, rng), x = Tensor::randn({5, 33}, rng);
  expect_close(run(x, w, b, 0, 33, true, /*backward_after_guard=*/true), reference(x, w, b, 0, 33));
}

TEST(WeightPack, PacksEachWeightOnceAndOnlyWhereItApplies) {
  Rng rng(5);
  const Tensor w = Tensor::randn({64, 48}, rng);
  EXPECT_EQ(detail::packed_weight(w, 4), nullptr) << "no guard";
  WeightPackGuard guard;
  const auto p = detail::packed_weight(w, 4);
  if (!kernels::row_gemm_vectorized()) {
    EXPECT_EQ(p, nullptr);
    GTEST_SKIP() << "no AVX-512: linear() keeps BLAS under the guard";
  }
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(detail::packed_weight(w, kPackedLinearRows), p) << "the same weight again";
  EXPECT_EQ(detail::packed_weight(Tensor(w), 1), p) << "a copy of the handle shares the storage";
  EXPECT_EQ(detail::packed_weight(w, kPackedLinearRows + 1), nullptr) << "more rows: BLAS";
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
  Rng rng(6);
  const Tensor w = Tensor::randn({300, 280}, rng), b = Tensor::randn({300}, rng);
  for (int64_t rows : {int64_t{32}, int64_t{200}}) {
    const Tensor x = Tensor::randn({rows, 280}, rng);
    const int before = num_threads();
    std::vector<Result> r;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      r.push_back(run(x, w, b, 0, 280, rows <= kPackedLinearRows));
    }
    set_num_threads(before);
    EXPECT_TRUE(bitwise_equal(r[0].y, r[1].y)) << rows;
    EXPECT_TRUE(bitwise_equal(r[0].dx, r[1].dx)) << rows;
    EXPECT_TRUE(bitwise_equal(r[0].dw, r[1].dw)) << rows;
    EXPECT_TRUE(bitwise_equal(r[0].db, r[1].db)) << rows;
  }
}

}  // namespace
}  // namespace attend
