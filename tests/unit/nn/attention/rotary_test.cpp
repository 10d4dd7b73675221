#include "attend/nn/attention/rotary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

Var randn(const Shape& s, uint64_t seed, DType dtype = DType::f64) {
  Rng rng(seed);
  return Var(Tensor::randn(s, rng, dtype));
}

// q·k after rotating q to position m and k to position n (both [1, 1, 1, D]).
double rotated_dot(const Var& q, const Var& k, int64_t m, int64_t n, double base = 10000.0) {
  return sum(mul(apply_rotary(q, m, base), apply_rotary(k, n, base))).value().to_vector<double>()[0];
}

TEST(Rotary, ScoresDependOnlyOnThePositionDifference) {
  const Var q = randn({1, 1, 1, 8}, 1), k = randn({1, 1, 1, 8}, 2);
  for (int64_t diff : {0, 1, 3, -2, 17}) {
    const double at0 = rotated_dot(q, k, std::max<int64_t>(diff, 0), std::max<int64_t>(-diff, 0));
    for (int64_t shift : {1, 5, 100, 4096}) {
      const int64_t m = std::max<int64_t>(diff, 0) + shift, n = std::max<int64_t>(-diff, 0) + shift;
      EXPECT_NEAR(rotated_dot(q, k, m, n), at0, 1e-10) << "difference " << diff << ", shift " << shift;
    }
  }
  // ... and the difference does matter (the test could fail if the rotation were the identity).
  EXPECT_GT(std::abs(rotated_dot(q, k, 0, 0) - rotated_dot(q, k, 3, 0)), 1e-3);
}

TEST(Rotary, PreservesTheNormOfEveryVector) {
  const Var x = randn({2, 3, 7, 6}, 3);
  const Var y = apply_rotary(x, 11, 500.0);
  const Tensor nx = sum(mul(x, x), {-1}).value(), ny = sum(mul(y, y), {-1}).value();  // [2, 3, 7]
  EXPECT_TRUE(all_close(ny, nx, 1e-12, 1e-12));
  EXPECT_FALSE(all_close(y.value(), x.value(), 1e-3, 0.0));  // it did rotate
}

TEST(Rotary, PositionZeroIsTheIdentityAndOffsetsContinueTheSequence) {
  const Var x = randn({1, 2, 5, 4}, 4);
  EXPECT_TRUE(all_close(apply_rotary(narrow(x, 2, 0, 1), 0).value(), narrow(x, 2, 0, 1).value(), 0.0, 0.0));
  // Rotating steps 2..4 with offset 2 equals rotating the whole sequence and keeping steps 2..4.
  const Tensor whole = narrow(apply_rotary(x, 0), 2, 2, 3).value();
  EXPECT_TRUE(all_close(apply_rotary(narrow(x, 2, 2, 3), 2).value(), whole, 1e-14, 0.0));
}

TEST(Rotary, RotateHalfPairsCoordinateIWithIPlusHalf) {
  // D = 4, base 100: θ0 = 1, θ1 = 100^(-1/2) = 0.1. At position 2: angles 2 and 0.2.
  const Var x(Tensor::from_vector<double>({1, 2, 3, 4}, {1, 1, 1, 4}));
  const Var y = apply_rotary(x, 2, 100.0);
  const double c0 = std::cos(2.0), s0 = std::sin(2.0), c1 = std::cos(0.2), s1 = std::sin(0.2);
  // pairs (x0, x2) and (x1, x3): [x0 c − x2 s, x1 c − x3 s, x2 c + x0 s, x3 c + x1 s]
  const Tensor want = Tensor::from_vector<double>({1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1},
                                                  {1, 1, 1, 4});
  EXPECT_TRUE(all_close(y.value(), want, 1e-14, 0.0));
}

TEST(Rotary, F32FollowsF64AndGradientsFlow) {
  const Var x64 = randn({1, 2, 3, 8}, 5);
  Var x32(x64.value().to(DType::f32), true);
  const Var y32 = apply_rotary(x32, 3);
  EXPECT_EQ(y32.dtype(), DType::f32);
  EXPECT_TRUE(all_close(y32.value().to(DType::f64), apply_rotary(x64, 3).value(), 1e-6, 1e-6));
  // The rotation is orthogonal, so the gradient of Σ y² is 2x.
  sum(mul(y32, y32)).backward();
  EXPECT_TRUE(all_close(x32.grad(), mul(x32, 2.0).value(), 1e-5, 1e-5));
}

TEST(Rotary, ErrorsNameTheShape) {
  EXPECT_THAT(error_of([] { apply_rotary(randn({2, 3, 4}, 1), 0); }),
              AllOf(HasSubstr("apply_rotary"), HasSubstr("[B, H, T, D]"), HasSubstr("[2, 3, 4]")));
  EXPECT_THAT(error_of([] { apply_rotary(randn({1, 2, 3, 5}, 1), 0); }),
              AllOf(HasSubstr("even"), HasSubstr("D = 5"), HasSubstr("[1, 2, 3, 5]")));
  EXPECT_THAT(error_of([] { apply_rotary(randn({1, 2, 3, 4}, 1), -1); }),
              AllOf(HasSubstr("offset"), HasSubstr("-1"), HasSubstr("[1, 2, 3, 4]")));
  EXPECT_THAT(error_of([] { apply_rotary(randn({1, 2, 3, 4}, 1), 0, 0.0); }), HasSubstr("base must be > 0"));
}

}  // namespace
}  // namespace attend::nn
