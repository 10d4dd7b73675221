#include "attend/ops/dropout.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "attend/core/threads.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;
using testing::all_close;
using testing::bitwise_equal;

Tensor run(const Tensor& x, double p, Rng rng) { return dropout(Var(x), p, true, rng).value(); }

TEST(Dropout, SameSeedSameMaskAndTheCursorAdvancesByNumel) {
  const Tensor x = Tensor::ones({37, 11});
  Rng a(42, 1), b(42, 1);
  const Tensor ya = dropout(Var(x), 0.5, true, a).value();
  EXPECT_EQ(a.offset(), 37u * 11u);
  EXPECT_TRUE(bitwise_equal(ya, dropout(Var(x), 0.5, true, b).value()));
  const Tensor next = dropout(Var(x), 0.5, true, a).value();  // the next draw continues the stream: another mask
  EXPECT_FALSE(bitwise_equal(ya, next));
  EXPECT_FALSE(bitwise_equal(ya, run(x, 0.5, Rng(43, 1))));
  EXPECT_FALSE(bitwise_equal(ya, run(x, 0.5, Rng(42, 2))));
}

TEST(Dropout, KeepsElementIExactlyWhenItsPhiloxWordClearsTheThreshold) {
  const double p = 0.3;
  const uint64_t threshold = static_cast<uint64_t>(std::llround(p * 4294967296.0));
  Rng rng(7, 3, 5);  // an offset inside a Philox block
  const Rng probe = rng;
  const Tensor y = dropout(Var(Tensor::ones({1001}, DType::f64)), p, true, rng).value();
  const auto v = y.to_vector<double>();
  for (uint64_t i = 0; i < v.size(); ++i) {
    const bool keep = probe.word_at(5 + i) >= threshold;
    ASSERT_EQ(v[i], keep ? 1.0 / (1.0 - p) : 0.0) << "element " << i;
  }
}

TEST(Dropout, MaskDoesNotDependOnTheThreadCount) {
  Rng rng(1);
  const Tensor x = Tensor::randn({300, 1000}, rng);  // well above the parallel threshold
  const int saved = num_threads();
  set_num_threads(1);
  const Tensor one = run(x, 0.25, Rng(99, 0, 6));
  set_num_threads(2);
  const Tensor two = run(x, 0.25, Rng(99, 0, 6));
  set_num_threads(saved);
  EXPECT_TRUE(bitwise_equal(one, two));
}

TEST(Dropout, KeepRateAndExpectedValue) {
  for (double p : {0.1, 0.3, 0.7}) {
    const Tensor y = run(Tensor::ones({100000}), p, Rng(2024));
    const auto v = y.to_vector<float>();
    int64_t kept = 0;
    for (float e : v) {
      if (e != 0.0f) {
        ++kept;
        ASSERT_FLOAT_EQ(e, static_cast<float>(1.0 / (1.0 - p)));
      }
    }
    // Binomial standard deviation of the rate is at most 0.0016 here; 0.008 is 5 of them.
    EXPECT_NEAR(static_cast<double>(kept) / 100000.0, 1.0 - p, 0.008) << "p " << p;
    EXPECT_NEAR(mean(y).item<double>(), 1.0, 0.02) << "p " << p;  // inverted dropout keeps E[y] = x
  }
}

TEST(Dropout, GradientIsTheScaledMask) {
  Rng rng(3);
  const Tensor xv = Tensor::randn({6, 7}, rng, DType::f64);
  Var x(xv, true);
  Rng r(8);
  Var y = dropout(x, 0.4, true, r);
  const Tensor dy = Tensor::randn({6, 7}, rng, DType::f64);
  y.backward(dy);
  const Tensor mask = run(Tensor::ones({6, 7}, DType::f64), 0.4, Rng(8));  // 0 or 1/0.6
  EXPECT_TRUE(all_close(x.grad(), dy * mask, 0.0, 1e-15));
  EXPECT_TRUE(all_close(y.value(), xv * mask, 0.0, 1e-15));
}

TEST(Dropout, PEqualOneGivesZerosAndZeroGradient) {
  Var x(Tensor::full({4, 5}, 3.0), true);
  Rng rng(1);
  Var y = dropout(x, 1.0, true, rng);
  EXPECT_TRUE(bitwise_equal(y.value(), Tensor::zeros({4, 5})));
  y.backward(Tensor::ones({4, 5}));
  EXPECT_TRUE(bitwise_equal(x.grad(), Tensor::zeros({4, 5})));
}

TEST(Dropout, EvalOrPZeroReturnsTheInputItselfAndDrawsNothing) {
  Var x(Tensor::full({3}, 2.0), true);
  Rng rng(5);
  EXPECT_EQ(dropout(x, 0.5, false, rng).id(), x.id());
  EXPECT_EQ(dropout(x, 0.0, true, rng).id(), x.id());
  EXPECT_EQ(rng.offset(), 0u);
}

TEST(Dropout, BadArgumentsThrow) {
  const Var x(Tensor::ones({2, 3}));
  Rng rng(1);
  EXPECT_THAT(error_of([&] { dropout(x, -0.1, true, rng); }),
              HasSubstr("dropout: p must lie in [0, 1], got -0.1; input shape [2, 3]"));
  EXPECT_THAT(error_of([&] { dropout(x, 1.5, false, rng); }), HasSubstr("dropout: p must lie in [0, 1], got 1.5"));
  EXPECT_THAT(error_of([&] { dropout(x, std::numeric_limits<double>::quiet_NaN(), true, rng); }),
              HasSubstr("dropout: p must lie in [0, 1], got nan"));
  EXPECT_THAT(error_of([&] { dropout(Var(Tensor::ones({2}, DType::i64)), 0.5, true, rng); }),
              HasSubstr("dropout: expected a floating input (f32 or f64), got i64"));
}

}  // namespace
}  // namespace attend
