#include "attend/core/half.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "attend/tensor/tensor.hpp"

namespace attend {
namespace {

using ::testing::HasSubstr;

float from_bits(uint32_t bits) { return std::bit_cast<float>(bits); }

// Independent oracle: round x to `mantissa_bits` fractional bits, ties to even, with subnormals below 2^min_exp
// and inf at or past max_finite + half an ulp. Works in double, whose 53 bits hold any float and the scaled values.
double round_oracle(double x, int mantissa_bits, int min_exp, double max_finite) {
  if (std::isnan(x) || std::isinf(x) || x == 0) return x;
  const int e = std::max(std::ilogb(x), min_exp);
  const double r = std::ldexp(std::nearbyint(std::ldexp(x, mantissa_bits - e)), e - mantissa_bits);
  return std::fabs(r) > max_finite ? std::copysign(INFINITY, x) : r;
}
constexpr double kBf16Max = 0x1.FEp127;  // 0x7F7F
constexpr double kF16Max = 65504.0;

TEST(HalfBf16, KnownBitPatterns) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(float_to_bf16(3.14159265f), 0x4049);
  EXPECT_EQ(float_to_bf16(0.0f), 0x0000);
  EXPECT_EQ(float_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_bf16(INFINITY), 0x7F80);
  EXPECT_EQ(float_to_bf16(-INFINITY), 0xFF80);
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds past the largest bf16
  EXPECT_EQ(float_to_bf16(from_bits(0x00000001)), 0x0000);              // smallest float subnormal
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0x4049), 3.140625f);
  EXPECT_EQ(bf16_to_float(0x0001), std::ldexp(1.0f, -133));  // smallest bf16 subnormal
  EXPECT_EQ(bf16_to_float(0x7F7F), static_cast<float>(kBf16Max));
}

TEST(HalfBf16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f + 0x1p-8f), 0x3F80);             // tie, 0x3F80 is even: down
  EXPECT_EQ(float_to_bf16(1.0f + 3 * 0x1p-8f), 0x3F82);         // tie, 0x3F81 is odd: up
  EXPECT_EQ(float_to_bf16(1.0f + 0x1p-8f + 0x1p-23f), 0x3F81);  // just above the tie
  EXPECT_EQ(float_to_bf16(-(1.0f + 0x1p-8f + 0x1p-23f)), 0xBF81);
  EXPECT_EQ(float_to_bf16(from_bits(0x7F7F8000)), 0x7F80);  // tie at the top, odd: to inf
}

TEST(HalfBf16, NanStaysNanAndInfStaysInf) {
  // A signalling NaN whose payload lives in the low 16 bits: plain truncation would make it inf.
  const uint16_t b = float_to_bf16(from_bits(0x7F800001));
  EXPECT_TRUE(std::isnan(bf16_to_float(b))) << std::hex << b;
  EXPECT_TRUE(std::signbit(bf16_to_float(float_to_bf16(-NAN))));
  EXPECT_TRUE(std::isnan(bf16_to_float(double_to_bf16(std::nan("")))));
  EXPECT_EQ(double_to_bf16(1e300), 0x7F80);
  EXPECT_EQ(double_to_bf16(-1e300), 0xFF80);
  EXPECT_EQ(double_to_bf16(-INFINITY), 0xFF80);
}

TEST(HalfBf16, EveryPatternRoundTripsExactly) {
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    const float f = bf16_to_float(static_cast<uint16_t>(b));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(f)))) << b;
    } else {
      ASSERT_EQ(float_to_bf16(f), b) << b;
      ASSERT_EQ(double_to_bf16(static_cast<double>(f)), b) << b;
    }
  }
}

TEST(HalfBf16, MatchesTheOracleOnRandomFloatsAndDoubles) {
  std::mt19937_64 gen(7);
  for (int i = 0; i < 200000; ++i) {
    const float f = from_bits(static_cast<uint32_t>(gen()));
    if (std::isnan(f)) continue;
    ASSERT_EQ(bf16_to_float(float_to_bf16(f)), round_oracle(f, 7, -126, kBf16Max)) << std::hexfloat << f;
    // Doubles near the float range, with bits below float precision that only a single rounding keeps.
    const double d = std::ldexp(std::uniform_real_distribution<double>(1, 2)(gen), static_cast<int>(gen() % 300) - 150);
    ASSERT_EQ(bf16_to_float(double_to_bf16(d)), round_oracle(d, 7, -126, kBf16Max)) << std::hexfloat << d;
  }
}

TEST(HalfBf16, DoubleRoundsOnceNotTwice) {
  // 1 + 2^-8 + 2^-40: above the bf16 tie, but float rounds it onto the tie, and the tie would then go down.
  const double d = 1.0 + 0x1p-8 + 0x1p-40;
  EXPECT_EQ(float_to_bf16(static_cast<float>(d)), 0x3F80);  // the double-rounding answer
  EXPECT_EQ(double_to_bf16(d), 0x3F81);                     // the right one
  EXPECT_EQ(double_to_bf16(-d), 0xBF81);
  EXPECT_EQ(double_to_f16(1.0 + 0x1p-11 + 0x1p-40), 0x3C01);
}

TEST(HalfF16, KnownBitPatterns) {
  EXPECT_EQ(f16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_float(0xC000), -2.0f);
  EXPECT_EQ(f16_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_float(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_float(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16_to_float(0x7C00), INFINITY);
  EXPECT_EQ(f16_to_float(0xFC00), -INFINITY);
  EXPECT_TRUE(std::isnan(f16_to_float(0x7E00)));
  EXPECT_TRUE(std::isnan(f16_to_float(0x7C01)));
  EXPECT_TRUE(std::signbit(f16_to_float(0x8000)));
  EXPECT_EQ(float_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(float_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(float_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_f16(INFINITY), 0x7C00);
  EXPECT_TRUE(std::isnan(f16_to_float(float_to_f16(from_bits(0x7F800001)))));
}

TEST(HalfF16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_f16(65519.0f), 0x7BFF);               // below the tie
  EXPECT_EQ(float_to_f16(65520.0f), 0x7C00);               // the tie, 0x7BFF odd: to inf
  EXPECT_EQ(float_to_f16(1.0f + 0x1p-11f), 0x3C00);        // tie, down to even
  EXPECT_EQ(float_to_f16(1.0f + 3 * 0x1p-11f), 0x3C02);    // tie, up to even
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -25)), 0x0000);  // half the smallest subnormal: tie to 0
  EXPECT_EQ(float_to_f16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(float_to_f16(std::ldexp(3.0f, -25)), 0x0002);     // 1.5 units: tie, up to even 2
  EXPECT_EQ(float_to_f16(std::ldexp(1023.5f, -24)), 0x0400);  // subnormal rounds up into the normals
}

TEST(HalfF16, EveryPatternRoundTripsAndRandomFloatsMatchTheOracle) {
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    const float f = f16_to_float(static_cast<uint16_t>(b));
    if (!std::isnan(f)) {
      ASSERT_EQ(float_to_f16(f), b) << b;
    }
  }
  std::mt19937 gen(11);
  for (int i = 0; i < 200000; ++i) {
    // Exponents around the f16 range, so subnormals, normals and overflow all occur.
    const float f = std::ldexp(std::uniform_real_distribution<float>(-2, 2)(gen), static_cast<int>(gen() % 48) - 30);
    ASSERT_EQ(f16_to_float(float_to_f16(f)), round_oracle(f, 10, -14, kF16Max)) << std::hexfloat << f;
  }
}

TEST(HalfTensor, ToBf16AndBackRoundsAndWidensExactly) {
  const Tensor x = Tensor::from_vector<float>({1.0f, 1.0f + 0x1p-8f + 0x1p-23f, -3.14159265f, INFINITY}, {2, 2});
  const Tensor b = x.to(DType::bf16);
  EXPECT_EQ(b.dtype(), DType::bf16);
  EXPECT_EQ(b.shape(), (Shape{2, 2}));
  const auto* bits = static_cast<const uint16_t*>(b.raw_data());
  EXPECT_EQ(bits[0], 0x3F80);
  EXPECT_EQ(bits[1], 0x3F81);
  EXPECT_EQ(bits[2], 0xC049);
  EXPECT_EQ(bits[3], 0x7F80);
  EXPECT_EQ(b.to(DType::f32).to_vector<float>(), (std::vector<float>{1.0f, 1.0078125f, -3.140625f, INFINITY}));
  EXPECT_EQ(b.to(DType::f64).to_vector<double>(), (std::vector<double>{1.0, 1.0078125, -3.140625, INFINITY}));
  const Tensor nan = Tensor::from_vector<double>({std::nan("")}, {1}).to(DType::bf16);
  EXPECT_TRUE(std::isnan(nan.to(DType::f32).item<float>()));
}

TEST(HalfTensor, F64ToBf16RoundsOnce) {
  const Tensor x = Tensor::from_vector<double>({1.0 + 0x1p-8 + 0x1p-40}, {1});
  EXPECT_EQ(*static_cast<const uint16_t*>(x.to(DType::bf16).raw_data()), 0x3F81);
}

TEST(HalfTensor, StridedViewsConvertAndCopy) {
  const Tensor x = Tensor::arange(6).reshape({2, 3});
  const Tensor bt = x.to(DType::bf16).transpose(0, 1);  // [3, 2], not contiguous
  EXPECT_FALSE(bt.is_contiguous());
  EXPECT_EQ(bt.to(DType::f32).to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  const Tensor copy = bt.contiguous();  // bf16 -> bf16 copy
  EXPECT_TRUE(copy.is_contiguous());
  EXPECT_EQ(copy.to(DType::f32).to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  const Tensor h = Tensor::from_vector<float>({0.5f, -65504.0f, 1e-7f}, {3}).to(DType::f16);
  EXPECT_EQ(h.to(DType::f64).to_vector<double>(), (std::vector<double>{0.5, -65504.0, std::ldexp(2.0, -24)}));
}

TEST(HalfTensor, UnsupportedConversionsNameBothDtypes) {
  const Tensor b = Tensor::ones({2}).to(DType::bf16);
  EXPECT_THAT([&] { (void)b.to(DType::i64); }, ::testing::ThrowsMessage<Error>(HasSubstr("from bf16 to i64")));
  EXPECT_THAT([&] { (void)b.to(DType::f16); }, ::testing::ThrowsMessage<Error>(HasSubstr("from bf16 to f16")));
  EXPECT_THAT([&] { (void)Tensor::ones({2}, DType::u8).to(DType::bf16); },
              ::testing::ThrowsMessage<Error>(HasSubstr("from u8 to bf16")));
}

}  // namespace
}  // namespace attend
