// bf16 rounding (the hardware's: nearest even, denormals to zero, NaN kept, overflow to inf) and the bf16 GEMM's
// AVX512-BF16 tiles against its naive loops, bitwise, over the shapes its blocking splits.
#include "attend/tensor/kernels/bf16.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace attend::kernels {
namespace {

float from_bits(uint32_t u) {
  float f = 0.0F;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

TEST(Bf16, RoundsToNearestWithTiesToEven) {
  EXPECT_EQ(round_bf16(1.0F), 1.0F);
  EXPECT_EQ(round_bf16(-2.5F), -2.5F);  // representable: unchanged
  EXPECT_EQ(bf16_bits(from_bits(0x3F808000U)), 0x3F80);  // a tie below an even mantissa stays
  EXPECT_EQ(bf16_bits(from_bits(0x3F818000U)), 0x3F82);  // a tie below an odd mantissa goes up
  EXPECT_EQ(bf16_bits(from_bits(0x3F808001U)), 0x3F81);  // past the tie: up
  EXPECT_EQ(bf16_bits(from_bits(0x3F807FFFU)), 0x3F80);  // below the tie: down
  EXPECT_EQ(bf16_bits(from_bits(0xBF818000U)), 0xBF82);  // negative values round by magnitude
  EXPECT_EQ(bf16_bits(from_bits(0x3FFFFFFFU)), 0x4000);  // the carry moves into the exponent
}

TEST(Bf16, DenormalsBecomeZeroNanStaysNanOverflowGoesToInf) {
  EXPECT_EQ(bf16_bits(from_bits(0x00000001U)), 0x0000);
  EXPECT_EQ(bf16_bits(from_bits(0x807FFFFFU)), 0x8000);
  EXPECT_TRUE(std::isnan(round_bf16(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(std::isnan(round_bf16(from_bits(0x7F800001U))));  // a NaN whose payload would round away
  EXPECT_EQ(round_bf16(std::numeric_limits<float>::max()), std::numeric_limits<float>::infinity());
  EXPECT_EQ(round_bf16(-std::numeric_limits<float>::infinity()), -std::numeric_limits<float>::infinity());
}

std::vector<float> normal(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0F, 1.0F);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& e : x) e = d(gen);
  return x;
}

// M over every 6-row block remainder, N over partial vectors and several 64-column blocks, K odd and even.
TEST(Bf16, GemmTilesEqualTheNaiveLoopsBitwise) {
  if (!bf16_available()) GTEST_SKIP() << "no AVX512-BF16 on this CPU (bf16_gemm runs the naive loops)";
  for (int64_t M : {1, 5, 6, 7, 13, 32})
    for (int64_t N : {1, 16, 17, 64, 100, 130})
      for (int64_t K : {1, 2, 7, 64, 65})
        for (bool acc : {false, true}) {
          SCOPED_TRACE(testing::Message() << "M " << M << " N " << N << " K " << K << " accumulate " << acc);
          const int64_t lda = K + 3, ldb = N + 5, ldc = N + 2;
          const auto a = normal(M * lda, 1), b = normal(K * ldb, 2), c0 = normal(M * ldc, 3);
          std::vector<float> tiles = c0, naive = c0;
          bf16_gemm(M, N, K, a.data(), lda, b.data(), ldb, tiles.data(), ldc, acc);
          bf16_gemm_naive(M, N, K, a.data(), lda, b.data(), ldb, naive.data(), ldc, acc);
          ASSERT_EQ(tiles, naive);  // the columns past N of each row stay as they were in both
        }
}

// The products' error is that of rounding the inputs: |Σ bf16(a)bf16(b) − Σ ab| ≤ 2·2⁻⁹·Σ|a||b| (+ f32 sums).
TEST(Bf16, GemmIsTheF32ProductUpToInputRounding) {
  const int64_t M = 9, N = 40, K = 96;
  const auto a = normal(M * K, 4), b = normal(K * N, 5);
  std::vector<float> c(static_cast<size_t>(M * N));
  bf16_gemm(M, N, K, a.data(), K, b.data(), N, c.data(), N, false);
  double worst = 0.0;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double exact = 0.0, bound = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        exact += static_cast<double>(a[i * K + k]) * b[k * N + j];
        bound += std::abs(static_cast<double>(a[i * K + k]) * b[k * N + j]);
      }
      const double err = std::abs(c[static_cast<size_t>(i * N + j)] - exact);
      ASSERT_LE(err, 2.0 * std::ldexp(bound, -9) + 1e-5) << "C(" << i << ", " << j << ")";
      worst = std::max(worst, err);
    }
  EXPECT_GT(worst, 1e-4);  // the inputs were rounded: not the f32 product
}

}  // namespace
}  // namespace attend::kernels
