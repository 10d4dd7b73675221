// Gradient clipping by global norm and by value: the arithmetic, what is left alone, and errors.
// Parity with torch.nn.utils.clip_grad_norm_ / clip_grad_value_ is in torch_optim_test.cpp.
#include "attend/optim/clip.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace attend::optim {
namespace {

using attend::testing::all_close;
using attend::testing::bitwise_equal;
using attend::testing::error_of;
using ::testing::HasSubstr;

Tensor f32(std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<float>(v, {n});
}

Var with_grad(const Tensor& grad) {
  Var p(Tensor::zeros(grad.shape(), grad.dtype()), true);
  p.set_grad(grad);
  return p;
}

TEST(ClipGradNorm, ScalesEveryGradientByMaxNormOverTheGlobalNorm) {
  Var a = with_grad(f32({3.0f, 4.0f}));
  Var b = with_grad(f32({12.0f}));
  Var none(Tensor::zeros({4}), true);  // no gradient: skipped
  const double norm = clip_grad_norm({a, none, b}, 6.5);
  EXPECT_DOUBLE_EQ(norm, 13.0);
  const double c = 6.5 / (13.0 + 1e-6);
  EXPECT_TRUE(all_close(a.grad(), f32({static_cast<float>(3 * c), static_cast<float>(4 * c)}), 0.0, 0.0));
  EXPECT_TRUE(all_close(b.grad(), f32({static_cast<float>(12 * c)}), 0.0, 0.0));
  EXPECT_FALSE(none.grad().defined());
  // The result has the requested norm (up to the 1e-6 torch adds).
  EXPECT_NEAR(clip_grad_norm({a, b}, 100.0), 6.5, 1e-5);
}

TEST(ClipGradNorm, LeavesGradientsUnderTheLimitUntouched) {
  Var a = with_grad(f32({0.3f, -0.4f}));
  const Tensor before = a.grad().clone();
  EXPECT_NEAR(clip_grad_norm({a}, 0.5 + 1e-5), 0.5, 1e-7);
  EXPECT_TRUE(bitwise_equal(a.grad(), before));
  EXPECT_NEAR(clip_grad_norm({a}, std::numeric_limits<double>::infinity()), 0.5, 1e-7);  // measure only
  EXPECT_TRUE(bitwise_equal(a.grad(), before));
}

TEST(ClipGradNorm, ChangesTheGradientTensorInPlaceAsTorchDoes) {
  const Tensor g = f32({30.0f, 40.0f});
  Var a = with_grad(g);
  clip_grad_norm({a}, 1.0);
  EXPECT_NEAR(g.to_vector<float>()[0], 0.6f, 1e-6);
}

TEST(ClipGradNorm, ReplacesANonContiguousGradientByAClippedCopy) {
  const Tensor base = Tensor::from_vector<float>({3, 0, 0, 4}, {2, 2});
  Var a(Tensor::zeros({2, 2}), true);
  a.set_grad(base.transpose(0, 1));
  clip_grad_norm({a}, 1.0);
  EXPECT_TRUE(a.grad().is_contiguous());
  const double c = 1.0 / (5.0 + 1e-6);
  EXPECT_TRUE(all_close(a.grad(), Tensor::from_vector<float>({static_cast<float>(3 * c), 0, 0,
                                                              static_cast<float>(4 * c)}, {2, 2}), 1e-7, 0.0));
}

TEST(ClipGradNorm, F64GradientsAndNoGradientsAtAll) {
  Var a = with_grad(Tensor::from_vector<double>({1e200, 1e200}, {2}));
  const double norm = clip_grad_norm({a}, 1.0);
  EXPECT_DOUBLE_EQ(norm, std::numeric_limits<double>::infinity());  // overflowed: returned, nothing touched
  EXPECT_EQ(a.grad().to_vector<double>()[0], 1e200);
  Var b = with_grad(Tensor::from_vector<double>({1e-3, 2e-3, 2e-3}, {3}));
  EXPECT_DOUBLE_EQ(clip_grad_norm({b}, 1e-3), 3e-3);
  EXPECT_NEAR(b.grad().to_vector<double>()[0], 1e-3 * 1e-3 / (3e-3 + 1e-6), 1e-18);
  Var none(Tensor::zeros({2}), true);
  EXPECT_EQ(clip_grad_norm({none}, 1.0), 0.0);
  EXPECT_EQ(clip_grad_norm({}, 1.0), 0.0);
}

TEST(ClipGradNorm, NonFiniteNormIsReturnedAndGradientsAreLeftAlone) {
  Var a = with_grad(f32({1.0f, std::numeric_limits<float>::infinity()}));
  Var b = with_grad(f32({2.0f}));
  EXPECT_TRUE(std::isinf(clip_grad_norm({a, b}, 1.0)));
  EXPECT_EQ(b.grad().to_vector<float>()[0], 2.0f);
  Var c = with_grad(f32({NAN, 1.0f}));
  Var d = with_grad(f32({5.0f}));
  EXPECT_TRUE(std::isnan(clip_grad_norm({c, d}, 1.0)));
  EXPECT_EQ(c.grad().to_vector<float>()[1], 1.0f);
  EXPECT_EQ(d.grad().to_vector<float>()[0], 5.0f);
}

TEST(ClipGradNorm, BadArgumentsAreNamed) {
  Var a = with_grad(f32({1.0f}));
  EXPECT_THAT(error_of([&] { clip_grad_norm({a}, 0.0); }),
              HasSubstr("clip_grad_norm: max_norm must be a number > 0 (inf: measure only), got 0"));
  EXPECT_THAT(error_of([&] { clip_grad_norm({a}, -1.0); }), HasSubstr("max_norm must be a number > 0"));
  EXPECT_THAT(error_of([&] { clip_grad_norm({a}, NAN); }), HasSubstr("got nan"));
  EXPECT_THAT(error_of([&] { clip_grad_norm({a, Var()}, 1.0); }),
              HasSubstr("clip_grad_norm: parameter 1 is undefined"));
  Var ints(Tensor::zeros({3}), true);
  ints.set_grad(Tensor::zeros({3}, DType::i64));
  EXPECT_THAT(error_of([&] { clip_grad_norm({a, ints}, 1.0); }),
              HasSubstr("clip_grad_norm: the gradient of parameter 1 must be f32 or f64, got i64 (shape [3])"));
  EXPECT_EQ(a.grad().to_vector<float>()[0], 1.0f);  // nothing clipped before the error
}

TEST(ClipGradValue, ClampsEveryElementAndKeepsNaN) {
  Var a = with_grad(f32({-3.0f, -0.5f, 0.0f, 0.25f, 7.0f, NAN}));
  Var b = with_grad(Tensor::from_vector<double>({-1e300, 0.5}, {2}));
  clip_grad_value({a, b}, 0.5);
  const auto g = a.grad().to_vector<float>();
  EXPECT_EQ(g[0], -0.5f);
  EXPECT_EQ(g[1], -0.5f);
  EXPECT_EQ(g[2], 0.0f);
  EXPECT_EQ(g[3], 0.25f);
  EXPECT_EQ(g[4], 0.5f);
  EXPECT_TRUE(std::isnan(g[5]));
  EXPECT_TRUE(all_close(b.grad(), Tensor::from_vector<double>({-0.5, 0.5}, {2}), 0.0, 0.0));
}

TEST(ClipGradValue, NonContiguousGradientAndErrors) {
  Var a(Tensor::zeros({2, 2}), true);
  a.set_grad(Tensor::from_vector<float>({3, -1, 0.5f, -4}, {2, 2}).transpose(0, 1));
  clip_grad_value({a}, 1.0);
  EXPECT_TRUE(all_close(a.grad(), Tensor::from_vector<float>({1, 0.5f, -1, -1}, {2, 2}), 0.0, 0.0));
  EXPECT_THAT(error_of([&] { clip_grad_value({a}, 0.0); }),
              HasSubstr("clip_grad_value: clip_value must be a finite number > 0, got 0"));
  EXPECT_THAT(error_of([&] { clip_grad_value({a}, INFINITY); }), HasSubstr("got inf"));
  EXPECT_THAT(error_of([&] { clip_grad_value({Var()}, 1.0); }), HasSubstr("clip_grad_value: parameter 0 is undefined"));
}

}  // namespace
}  // namespace attend::optim
