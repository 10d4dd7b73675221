#include "attend/ops/normalization.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;
using testing::all_close;

// Plain loops over rows of `width` elements: (x − μ) / sqrt(σ² + eps) · w + b, biased σ², all in double.
std::vector<double> reference(const std::vector<double>& x, int64_t width, const std::vector<double>& w,
                              const std::vector<double>& b, double eps) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r < x.size() / width; ++r) {
    double mu = 0, var = 0;
    for (int64_t j = 0; j < width; ++j) mu += x[r * width + j] / width;
    for (int64_t j = 0; j < width; ++j) var += (x[r * width + j] - mu) * (x[r * width + j] - mu) / width;
    for (int64_t j = 0; j < width; ++j) {
      const double xhat = (x[r * width + j] - mu) / std::sqrt(var + eps);
      y[r * width + j] = xhat * (w.empty() ? 1.0 : w[j]) + (b.empty() ? 0.0 : b[j]);
    }
  }
  return y;
}

TEST(LayerNorm, HandComputedRow) {
  // x = [1, 2, 3, 4]: μ = 2.5, σ² = 1.25 (biased), y = (x − 2.5) / sqrt(1.25 + 1e-5).
  Var x(Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 4}), true);
  const double s = std::sqrt(1.25 + 1e-5);
  EXPECT_TRUE(all_close(layer_norm(x, {4}).value(),
                        Tensor::from_vector(std::vector<double>{-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s}, {1, 4}), 1e-12));
}

TEST(LayerNorm, MatchesPlainLoopsWithAffineAndOneOrTwoNormalizedDims) {
  Rng rng(9);
  const Tensor xt = Tensor::randn({2, 3, 4}, rng, DType::f64, 1.0, 3.0);
  const Tensor wt = Tensor::randn({4}, rng, DType::f64), bt = Tensor::randn({4}, rng, DType::f64);
  const Var y = layer_norm(Var(xt), {4}, Var(wt), Var(bt), 1e-3);
  const auto want = reference(xt.to_vector<double>(), 4, wt.to_vector<double>(), bt.to_vector<double>(), 1e-3);
  EXPECT_TRUE(all_close(y.value(), Tensor::from_vector(want, {2, 3, 4}), 1e-12));

  const Var y2 = layer_norm(Var(xt.to(DType::f32)), {3, 4});  // rows of 12
  const auto want2 = reference(xt.to_vector<double>(), 12, {}, {}, 1e-5);
  EXPECT_TRUE(all_close(y2.value(), Tensor::from_vector(want2, {2, 3, 4}).to(DType::f32), 1e-5));
}

TEST(LayerNorm, WideRowsMatchPlainLoopsAndDoNotDependOnTheThreadCount) {
  // Rows of 37 and 515: whole blocks of the 16 running sums plus a tail.
  Rng rng(21);
  for (const int64_t width : {37, 515}) {
    const Tensor xt = Tensor::randn({3, width}, rng, DType::f64, 2.0, 3.0);
    const auto want = reference(xt.to_vector<double>(), width, {}, {}, 1e-5);
    EXPECT_TRUE(all_close(layer_norm(Var(xt), {width}).value(), Tensor::from_vector(want, {3, width}), 1e-12));
  }
  const Tensor x = Tensor::randn({300, 515}, rng, DType::f32, 1.0, 2.0);
  const Tensor w = Tensor::randn({515}, rng, DType::f32), b = Tensor::randn({515}, rng, DType::f32);
  const Tensor dy = Tensor::randn({300, 515}, rng, DType::f32);
  const int saved = num_threads();
  std::vector<Tensor> runs[2];
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    Var xv(x, true), wv(w, true), bv(b, true);
    const Var y = layer_norm(xv, {515}, wv, bv);
    y.backward(dy);
    runs[threads - 1] = {y.value(), xv.grad(), wv.grad(), bv.grad()};
  }
  set_num_threads(saved);
  for (size_t i = 0; i < runs[0].size(); ++i)
    EXPECT_EQ(runs[0][i].to_vector<float>(), runs[1][i].to_vector<float>()) << "output " << i;
}

TEST(LayerNorm, GradientsOfTheAffineParametersAndOfAShiftInvariantLoss) {
  Rng rng(4);
  Var x(Tensor::randn({5, 6}, rng, DType::f64), true);
  Var w(Tensor::randn({6}, rng, DType::f64), true), b(Tensor::randn({6}, rng, DType::f64), true);
  const Tensor dy = Tensor::randn({5, 6}, rng, DType::f64);
  layer_norm(x, {6}, w, b).backward(dy);
  const Tensor xhat = layer_norm(Var(x.value()), {6}).value();
  EXPECT_TRUE(all_close(b.grad(), sum(dy, {0}), 1e-12));          // dL/db = Σ_rows dy
  EXPECT_TRUE(all_close(w.grad(), sum(dy * xhat, {0}), 1e-12));   // dL/dw = Σ_rows dy ⊙ x̂
  // Σ_j x̂_j = 0 for every input, so the gradient of that sum with respect to x is 0.
  Var x2(x.value(), true);
  layer_norm(x2, {6}).backward(Tensor::ones({5, 6}, DType::f64));
  EXPECT_TRUE(all_close(x2.grad(), Tensor::zeros({5, 6}, DType::f64), 1e-10));
}

TEST(LayerNorm, ErrorsNameBothShapes) {
  const Var x(Tensor::zeros({2, 3, 4}));
  EXPECT_THAT(error_of([&] { layer_norm(x, {3}); }),
              HasSubstr("layer_norm: input shape [2, 3, 4] must end with normalized_shape [3]"));
  EXPECT_THAT(error_of([&] { layer_norm(x, {1, 2, 3, 4}); }), HasSubstr("must end with normalized_shape [1, 2, 3, 4]"));
  EXPECT_THAT(error_of([&] { layer_norm(x, {}); }),
              HasSubstr("layer_norm: normalized_shape must have at least one dim"));
  EXPECT_THAT(error_of([&] { layer_norm(x, {4}, Var(Tensor::ones({3}))); }),
              HasSubstr("layer_norm: weight shape [3] must equal normalized_shape [4]; input shape [2, 3, 4]"));
  EXPECT_THAT(error_of([&] { layer_norm(x, {4}, Var(), Var(Tensor::ones({1, 4}))); }),
              HasSubstr("layer_norm: bias shape [1, 4] must equal normalized_shape [4]"));
  EXPECT_THAT(error_of([&] { layer_norm(x, {4}, Var(Tensor::ones({4}, DType::f64))); }),
              HasSubstr("layer_norm: weight is f64 but the input is f32"));
  EXPECT_THAT(error_of([&] { layer_norm(x, {4}, Var(), Var(), -1.0); }),
              HasSubstr("layer_norm: eps must be finite and >= 0"));
  EXPECT_THAT(error_of([&] { layer_norm(Var(Tensor::zeros({2, 4}, DType::i64)), {4}); }),
              HasSubstr("layer_norm: expected a floating input"));
}

// The fused op against its composite reference: values and every gradient, f64 and f32, with and without the affine
// parameters, one and two normalised dims, a constant row (σ² = 0, only eps in the root).
TEST(LayerNorm, FusedMatchesComposite) {
  Rng rng(3);
  for (DType dtype : {DType::f64, DType::f32}) {
    const double tol = dtype == DType::f64 ? 1e-12 : 2e-5;
    for (const Shape& norm : {Shape{6}, Shape{3, 6}}) {
      for (int affine = 0; affine < 4; ++affine) {
        Tensor xt = Tensor::randn({4, 3, 6}, rng, dtype, 0.5, 2.0);
        xt.select(0, 1).fill_(0.75);  // constant rows
        const Tensor upstream = Tensor::randn({4, 3, 6}, rng, dtype);
        const Tensor wt = Tensor::randn(norm, rng, dtype, 1.0, 0.5), bt = Tensor::randn(norm, rng, dtype);
        auto run = [&](bool fused) {
          Var x(xt.clone(), true), w(wt.clone(), true), b(bt.clone(), true);
          const Var wv = affine & 1 ? w : Var(), bv = affine & 2 ? b : Var();
          const Var y = fused ? layer_norm(x, norm, wv, bv, 1e-3) : layer_norm_composite(x, norm, wv, bv, 1e-3);
          y.backward(upstream);
          std::vector<Tensor> out{y.value(), x.grad()};
          if (affine & 1) out.push_back(w.grad());
          if (affine & 2) out.push_back(b.grad());
          return out;
        };
        const std::vector<Tensor> fused = run(true), composite = run(false);
        ASSERT_EQ(fused.size(), composite.size());
        for (size_t i = 0; i < fused.size(); ++i) {
          EXPECT_EQ(fused[i].shape(), composite[i].shape()) << i;
          EXPECT_TRUE(all_close(fused[i], composite[i], tol, tol))
              << dtype_name(dtype) << " norm " << shape_str(norm) << " affine " << affine << " tensor " << i;
        }
      }
    }
  }
}

// Rows split over threads, the parameter gradients summed in row order: 1 and 2 threads agree bitwise.
TEST(LayerNorm, BitwiseEqualOnOneAndTwoThreads) {
  const int before = num_threads();
  Rng rng(4);
  const Tensor xt = Tensor::randn({512, 512}, rng), up = Tensor::randn({512, 512}, rng);
  const Tensor wt = Tensor::randn({512}, rng), bt = Tensor::randn({512}, rng);
  auto once = [&](int threads) {
    set_num_threads(threads);
    Var x(xt, true), w(wt, true), b(bt, true);
    const Var y = layer_norm(x, {512}, w, b);
    y.backward(up);
    return std::vector<Tensor>{y.value(), x.grad(), w.grad(), b.grad()};
  };
  const std::vector<Tensor> one = once(1), two = once(2);
  set_num_threads(before);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(testing::bitwise_equal(one[i], two[i])) << "tensor " << i;
}

}  // namespace
}  // namespace attend
