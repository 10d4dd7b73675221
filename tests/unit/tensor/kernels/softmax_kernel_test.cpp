// The fast softmax kernels (AVX-512 when the CPU has it) against the naive double-accumulating loops: lengths around
// the vector width, large magnitudes, -inf entries, fully masked rows, in place, unaligned rows, 1 vs 2 threads.
#include "attend/tensor/kernels/softmax.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "attend/core/threads.hpp"

namespace attend::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
using Kernel = void (*)(const float*, float*, int64_t, int64_t);

struct Case {
  const char* name;
  Kernel fast;
  Kernel naive;
};
const Case kCases[] = {{"softmax", softmax_rows, softmax_rows_naive},
                       {"log_softmax", log_softmax_rows, log_softmax_rows_naive}};

// |a - b| <= 1e-7 + 2e-6·|b| everywhere (equal infinities and NaNs pass); the message names the worst element.
::testing::AssertionResult close(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  double worst = -1.0;
  size_t at = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) continue;
    const double err = std::abs(static_cast<double>(a[i]) - b[i]);
    const double excess = err - (1e-7 + 2e-6 * std::abs(static_cast<double>(b[i])));
    if (!(excess <= 0.0) && (worst < 0.0 || !(excess <= worst))) {
      worst = std::isnan(excess) ? 1e300 : excess;
      at = i;
    }
  }
  if (worst < 0.0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": element " << at << ": fast " << a[at] << " vs naive " << b[at];
}

std::vector<float> random_rows(int64_t n, float scale, double inf_fraction, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::uniform_real_distribution<double> p(0.0, 1.0);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = p(gen) < inf_fraction ? -kInf : u(gen);
  return x;
}

std::vector<float> run(Kernel k, const std::vector<float>& x, int64_t rows, int64_t cols) {
  std::vector<float> y(x.size(), -1.0F);
  k(x.data(), y.data(), rows, cols);
  return y;
}

TEST(SoftmaxKernel, FastMatchesNaiveOnManyLengthsAndMagnitudes) {
  uint32_t seed = 1;
  for (const Case& c : kCases) {
    for (int64_t cols : {1, 7, 15, 16, 17, 33, 512, 1000, 4099}) {
      for (float scale : {1.0F, 3.0F, 80.0F, 1e4F}) {
        for (double inf_fraction : {0.0, 0.3}) {
          const int64_t rows = 5;
          const auto x = random_rows(rows * cols, scale, inf_fraction, seed++);
          const std::string what = std::string(c.name) + " cols=" + std::to_string(cols) +
                                   " scale=" + std::to_string(scale) + " inf=" + std::to_string(inf_fraction);
          EXPECT_TRUE(close(run(c.fast, x, rows, cols), run(c.naive, x, rows, cols), what));
        }
      }
    }
  }
}

// A dense sweep of x - max over [-110, 0] covers the polynomial range reduction, the denormal results and the
// underflow to exactly 0.
TEST(SoftmaxKernel, ExpSweepDownToUnderflowMatchesNaive) {
  const int64_t cols = 4099;
  std::vector<float> x(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) x[static_cast<size_t>(j)] = -110.0F * static_cast<float>(j) / (cols - 1);
  for (const Case& c : kCases) EXPECT_TRUE(close(run(c.fast, x, 1, cols), run(c.naive, x, 1, cols), c.name));
  const auto y = run(softmax_rows, x, 1, cols);
  EXPECT_EQ(y.back(), 0.0F);  // e^-110 underflows
}

// Rows [0, d]: y1 / y0 = e^d (y0's exponential is exactly 1), so the vector exp's own error shows undiluted; it
// should be ~1e-7 relative (plus two roundings of the final scaling) down to e^-80.
TEST(SoftmaxKernel, TwoElementRowsExposeExpErrors) {
  const int64_t rows = 8000;
  std::vector<float> x(static_cast<size_t>(2 * rows));
  for (int64_t r = 0; r < rows; ++r) {
    x[static_cast<size_t>(2 * r)] = 0.0F;
    x[static_cast<size_t>(2 * r + 1)] = -80.0F * static_cast<float>(r) / (rows - 1);
  }
  const auto y = run(softmax_rows, x, rows, 2);
  double worst = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const double d = x[static_cast<size_t>(2 * r + 1)];
    const double ratio = static_cast<double>(y[static_cast<size_t>(2 * r + 1)]) / y[static_cast<size_t>(2 * r)];
    worst = std::max(worst, std::abs(ratio / std::exp(d) - 1.0));
  }
  EXPECT_LT(worst, 5e-7);
  EXPECT_TRUE(close(y, run(softmax_rows_naive, x, rows, 2), "softmax [0, d]"));
}

TEST(SoftmaxKernel, SoftmaxRowsSumToOneAndInfEntriesGiveZero) {
  const int64_t rows = 6, cols = 517;
  const auto x = random_rows(rows * cols, 20.0F, 0.25, 77);
  const auto y = run(softmax_rows, x, rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0.0;
    for (int64_t j = 0; j < cols; ++j) {
      const size_t i = static_cast<size_t>(r * cols + j);
      s += y[i];
      if (x[i] == -kInf) {
        EXPECT_EQ(y[i], 0.0F) << "row " << r << " col " << j;
      }
      EXPECT_GE(y[i], 0.0F);
    }
    EXPECT_NEAR(s, 1.0, 1e-5) << "row " << r;
  }
  const auto ly = run(log_softmax_rows, x, rows, cols);
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == -kInf) {
      EXPECT_EQ(ly[i], -kInf) << i;
    }
  }
}

TEST(SoftmaxKernel, AllMinusInfRowsGiveZerosNotNan) {
  for (int64_t cols : {1, 16, 17, 512}) {
    const int64_t rows = 3;
    auto x = random_rows(rows * cols, 5.0F, 0.0, 9);
    for (int64_t j = 0; j < cols; ++j) x[static_cast<size_t>(cols + j)] = -kInf;  // the middle row is masked
    for (const Case& c : kCases) {
      for (Kernel k : {c.fast, c.naive}) {
        const auto y = run(k, x, rows, cols);
        for (int64_t j = 0; j < cols; ++j) {
          EXPECT_EQ(y[static_cast<size_t>(cols + j)], 0.0F) << c.name << " cols=" << cols << " col " << j;
        }
        EXPECT_FALSE(std::isnan(y[0])) << c.name;
      }
    }
  }
}

TEST(SoftmaxKernel, NanInARowGivesNanLikeNaive) {
  auto x = random_rows(40, 2.0F, 0.0, 3);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  for (const Case& c : kCases) {
    const auto y = run(c.fast, x, 2, 20);
    EXPECT_TRUE(std::isnan(y[5])) << c.name;
    EXPECT_TRUE(close(y, run(c.naive, x, 2, 20), c.name));
  }
}

TEST(SoftmaxKernel, InPlaceEqualsOutOfPlaceBitwise) {
  for (int64_t cols : {7, 512, 4099}) {
    const int64_t rows = 9;
    const auto x = random_rows(rows * cols, 30.0F, 0.1, 11);
    for (const Case& c : kCases) {
      const auto want = run(c.fast, x, rows, cols);
      auto y = x;
      c.fast(y.data(), y.data(), rows, cols);
      EXPECT_EQ(0, std::memcmp(want.data(), y.data(), want.size() * sizeof(float))) << c.name << " cols=" << cols;
    }
  }
}

TEST(SoftmaxKernel, UnalignedRowsMatchNaive) {
  const int64_t rows = 4, cols = 100;
  const auto buf = random_rows(rows * cols + 3, 10.0F, 0.05, 21);
  for (const Case& c : kCases) {
    std::vector<float> fast(buf.size()), naive(buf.size());
    c.fast(buf.data() + 3, fast.data() + 1, rows, cols);  // neither pointer 64-byte aligned
    c.naive(buf.data() + 3, naive.data() + 1, rows, cols);
    EXPECT_TRUE(close(fast, naive, c.name));
  }
}

// Large enough to go parallel and to take the streaming-store path (16 MiB of output).
TEST(SoftmaxKernel, OneAndTwoThreadsAreBitwiseEqual) {
  const int64_t rows = 8192, cols = 512;
  const auto x = random_rows(rows * cols, 12.0F, 0.02, 5);
  const int saved = num_threads();
  for (const Case& c : kCases) {
    set_num_threads(1);
    const auto one = run(c.fast, x, rows, cols);
    set_num_threads(2);
    const auto two = run(c.fast, x, rows, cols);
    EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float))) << c.name;
    EXPECT_TRUE(close(two, run(c.naive, x, rows, cols), c.name));
    auto in_place = x;
    c.fast(in_place.data(), in_place.data(), rows, cols);
    EXPECT_EQ(0, std::memcmp(one.data(), in_place.data(), one.size() * sizeof(float))) << c.name << " in place";
  }
  set_num_threads(saved);
}

TEST(SoftmaxKernel, EmptyShapesAreNoOps) {
  std::vector<float> x(4, 1.0F), y(4, 7.0F);
  softmax_rows(x.data(), y.data(), 0, 4);
  log_softmax_rows(x.data(), y.data(), 4, 0);
  EXPECT_EQ(y, std::vector<float>(4, 7.0F));
}

}  // namespace
}  // namespace attend::kernels
