#include "attend/ops/loss.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "attend/tensor/elementwise.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;
using testing::all_close;

Tensor ids(const std::vector<int64_t>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }

// Independent per-row loss: −log p_t mixed with ε · mean_j(−log p_j), from an explicit softmax in double.
double row_loss(const std::vector<double>& x, int64_t t, double eps) {
  double z = 0;
  for (double v : x) z += std::exp(v);
  double smooth = 0;
  for (double v : x) smooth -= std::log(std::exp(v) / z) / static_cast<double>(x.size());
  return (1 - eps) * -std::log(std::exp(x[t]) / z) + eps * smooth;
}

TEST(CrossEntropy, HandComputedValueAndGradient) {
  // p = [0.25, 0.75], target 1: loss = −ln 0.75; gradient p − onehot = [0.25, −0.25].
  Var x(Tensor::from_vector(std::vector<double>{0, std::log(3.0)}, {1, 2}), true);
  Var loss = cross_entropy(x, ids({1}, {1}));
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_NEAR(loss.value().item<double>(), -std::log(0.75), 1e-12);
  loss.backward();
  EXPECT_TRUE(all_close(x.grad(), Tensor::from_vector(std::vector<double>{0.25, -0.25}, {1, 2}), 1e-12));
}

TEST(CrossEntropy, LabelSmoothingFollowsTorchsDefinition) {
  // Same row, ε = 0.2: 0.8·(−ln .75) + 0.2·(−ln .25 − ln .75)/2 = 0.39754...; gradient p − (0.8·onehot + 0.1).
  Var x(Tensor::from_vector(std::vector<double>{0, std::log(3.0)}, {1, 2}), true);
  Var loss = cross_entropy(x, ids({1}, {1}), {.label_smoothing = 0.2});
  EXPECT_NEAR(loss.value().item<double>(), 0.8 * -std::log(0.75) + 0.1 * -(std::log(0.25) + std::log(0.75)), 1e-12);
  EXPECT_NEAR(loss.value().item<double>(), 0.3975426, 1e-6);
  loss.backward();
  EXPECT_TRUE(all_close(x.grad(), Tensor::from_vector(std::vector<double>{0.25 - 0.1, 0.75 - 0.9}, {1, 2}), 1e-12));
}

TEST(CrossEntropy, MeanSumAndNoneAgainstPlainLoops) {
  Rng rng(17);
  const Tensor x = Tensor::randn({2, 3, 5}, rng, DType::f64, 0.0, 2.0);  // [B, T, V]
  const std::vector<int64_t> t = {4, 0, 2, 1, 1, 3};
  const auto xv = x.to_vector<double>();
  for (double eps : {0.0, 0.15}) {
    std::vector<double> rows;
    for (size_t r = 0; r < 6; ++r) {
      rows.push_back(row_loss({xv.begin() + 5 * r, xv.begin() + 5 * r + 5}, t[r], eps));
    }
    double total = 0;
    for (double l : rows) total += l;
    const Var none = cross_entropy(Var(x), ids(t, {2, 3}), {.reduction = Reduction::none, .label_smoothing = eps});
    EXPECT_EQ(none.shape(), (Shape{2, 3}));
    EXPECT_TRUE(all_close(none.value(), Tensor::from_vector(rows, {2, 3}), 1e-12));
    const Var s = cross_entropy(Var(x), ids(t, {2, 3}), {.reduction = Reduction::sum, .label_smoothing = eps});
    EXPECT_NEAR(s.value().item<double>(), total, 1e-12);
    const Var m = cross_entropy(Var(x), ids(t, {2, 3}), {.label_smoothing = eps});
    EXPECT_NEAR(m.value().item<double>(), total / 6, 1e-12);
    // [B, T, V] is the same as the flattened [N, V].
    const Var flat = cross_entropy(Var(x.reshape({6, 5})), ids(t, {6}), {.label_smoothing = eps});
    EXPECT_EQ(flat.value().item<double>(), m.value().item<double>());
  }
}

TEST(CrossEntropy, IgnoredTargetsAddNothingAndMeanDividesByTheCountedOnes) {
  Rng rng(2);
  const Tensor xv = Tensor::randn({4, 3}, rng);
  const auto v = xv.to_vector<float>();
  auto row = [&](int r, int64_t t) { return row_loss({v[3 * r], v[3 * r + 1], v[3 * r + 2]}, t, 0.1); };
  Var x(xv, true);
  Var loss = cross_entropy(x, ids({2, -100, 0, -100}, {4}), {.label_smoothing = 0.1});
  EXPECT_NEAR(loss.value().item<float>(), (row(0, 2) + row(2, 0)) / 2, 1e-5);
  loss.backward();
  EXPECT_TRUE(all_close(x.grad().select(0, 1), Tensor::zeros({3}), 0.0));
  EXPECT_TRUE(all_close(x.grad().select(0, 3), Tensor::zeros({3}), 0.0));
  EXPECT_GT(std::abs(x.grad().at({0, 2})), 0.01);
  // ignore_index may be a real class id (a padding id): those targets are ignored too.
  const Var pad = cross_entropy(Var(xv), ids({2, 0, 0, 1}, {4}), {.ignore_index = 0, .reduction = Reduction::none});
  EXPECT_EQ(pad.value().to_vector<float>()[1], 0.0f);
  EXPECT_NEAR(pad.value().to_vector<float>()[3], row_loss({v[9], v[10], v[11]}, 1, 0.0), 1e-5);
}

TEST(CrossEntropy, F32KernelPathAgreesWithTheF64Loops) {
  // A vocabulary of 1000 (vector tails included: 1000 = 62·16 + 8), label smoothing, an ignored row.
  Rng rng(23);
  const Tensor x64 = Tensor::randn({4, 1000}, rng, DType::f64, 0.0, 3.0);
  const Tensor target = ids({7, 999, -100, 0}, {4});
  for (double eps : {0.0, 0.1}) {
    Var a(x64.to(DType::f32), true), b(x64, true);
    Var la = cross_entropy(a, target, {.label_smoothing = eps}), lb = cross_entropy(b, target, {.label_smoothing = eps});
    EXPECT_NEAR(la.value().item<double>(), lb.value().item<double>(), 1e-6 * lb.value().item<double>()) << eps;
    la.backward();
    lb.backward();
    EXPECT_TRUE(all_close(a.grad().to(DType::f64), b.grad(), 1e-6, 1e-9)) << eps;
    EXPECT_TRUE(all_close(a.grad().select(0, 2), Tensor::zeros({1000}), 0.0)) << eps;  // the ignored row
  }
}

TEST(CrossEntropy, MeanOverZeroTargetsIsZeroNotNaN) {
  Var x(Tensor::ones({2, 3}), true);
  Var loss = cross_entropy(x, ids({-100, -100}, {2}));
  EXPECT_EQ(loss.value().item<float>(), 0.0f);
  loss.backward();
  EXPECT_TRUE(all_finite(x.grad()));
  EXPECT_TRUE(all_close(x.grad(), Tensor::zeros({2, 3}), 0.0));
}

TEST(CrossEntropy, NoneReductionGradientScalesEachRow) {
  Var x(Tensor::zeros({2, 2}, DType::f64), true);  // p = [0.5, 0.5] in both rows
  Var loss = cross_entropy(x, ids({0, 1}, {2}), {.reduction = Reduction::none});
  loss.backward(Tensor::from_vector(std::vector<double>{2, -1}, {2}));
  EXPECT_TRUE(all_close(x.grad(), Tensor::from_vector(std::vector<double>{-1, 1, -0.5, 0.5}, {2, 2}), 1e-12));
}

TEST(CrossEntropy, StableForLargeLogits) {
  Var x(Tensor::from_vector(std::vector<float>{1000, 0, -1000}, {1, 3}), true);
  Var loss = cross_entropy(x, ids({1}, {1}));
  EXPECT_NEAR(loss.value().item<float>(), 1000.0f, 1e-3);
  loss.backward();
  EXPECT_TRUE(all_close(x.grad(), Tensor::from_vector(std::vector<float>{1, -1, 0}, {1, 3})));
}

TEST(CrossEntropy, BadTargetsNameThePositionAndTheValue) {
  const Var x(Tensor::zeros({2, 3, 5}));
  EXPECT_THAT(error_of([&] { cross_entropy(x, ids({0, 1, 2, 3, 4, 7}, {2, 3})); }),
              HasSubstr("cross_entropy: target value 7 at position [1, 2] is outside [0, 5) and is not "
                        "ignore_index (-100)"));
  EXPECT_THAT(error_of([&] { cross_entropy(x, ids({0, -1, 2, 3, 4, 0}, {2, 3})); }),
              HasSubstr("target value -1 at position [0, 1]"));
  EXPECT_THAT(error_of([&] { cross_entropy(x, ids({0, 5}, {2}).reshape({2}).expand({3, 2}).transpose(0, 1)); }),
              HasSubstr("target value 5 at position [1, 0]"));
}

TEST(CrossEntropy, BadShapesDTypesAndOptionsThrow) {
  const Var x(Tensor::zeros({4, 5}));
  EXPECT_THAT(error_of([&] { cross_entropy(x, ids({0, 1, 2}, {3})); }),
              HasSubstr("cross_entropy: target shape [3] must equal logits shape without its last dim ([4]); "
                        "logits shape [4, 5]"));
  EXPECT_THAT(error_of([&] { cross_entropy(Var(Tensor::zeros({2, 3, 5})), ids({0, 1, 2, 3, 0, 1}, {3, 2})); }),
              HasSubstr("target shape [3, 2] must equal logits shape without its last dim ([2, 3])"));
  EXPECT_THAT(error_of([&] { cross_entropy(Var(Tensor::zeros({5})), ids({0}, {})); }),
              HasSubstr("cross_entropy: logits must be [N, V] or [B, T, V], got shape [5]"));
  EXPECT_THAT(error_of([&] { cross_entropy(x, Tensor::zeros({4})); }),
              HasSubstr("cross_entropy: target must be i64 class ids, got f32 with shape [4]"));
  EXPECT_THAT(error_of([&] { cross_entropy(x, ids({0, 1, 2, 3}, {4}), {.label_smoothing = 1.5}); }),
              HasSubstr("cross_entropy: label_smoothing must lie in [0, 1], got 1.5"));
  EXPECT_THAT(error_of([&] { cross_entropy(Var(Tensor::zeros({4, 5}, DType::i64)), ids({0, 1, 2, 3}, {4})); }),
              HasSubstr("cross_entropy: expected a floating tensor"));
}

}  // namespace
}  // namespace attend
