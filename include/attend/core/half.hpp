// bf16 and f16: 16-bit floating formats, as scalar conversions to and from float and double.
//
// bf16 (bfloat16, Google Brain) is the top half of an IEEE f32: 1 sign, 8 exponent, 7 mantissa bits. f16 is IEEE
// binary16: 1 sign, 5 exponent, 10 mantissa bits (max 65504, subnormals down to 2^-24). attend stores them as raw
// uint16_t bits (DType::bf16, DType::f16) and computes in f32 or f64.
//
// Widening (to float or double) is exact. Narrowing rounds to nearest, ties to even, like PyTorch's .to(bfloat16):
// values past the largest finite become inf, NaN stays NaN (quiet, sign and top payload bits kept), signed zeros
// are kept. Narrowing a double rounds once: it goes through float with round-to-odd, which float's 16 or more extra
// bits make exact, so double -> bf16 never suffers double rounding.
//
// Usage:
//   uint16_t b = float_to_bf16(3.14159f);   // 0x4049
//   float x = bf16_to_float(b);             // 3.140625f
#pragma once

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>

namespace attend {

/// bf16 bits to float, exact.
inline float bf16_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

/// float to bf16 bits, round to nearest even; NaN stays a (quiet) NaN, overflow gives inf.
inline uint16_t float_to_bf16(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x0040u);  // NaN: force the quiet bit
  const uint32_t rounding = 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

/// f16 bits to float, exact (subnormals, inf and NaN payloads included).
inline float f16_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1Fu;
  const uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0x1Fu) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));  // inf, NaN
  if (exponent == 0) {                                                                        // zero, subnormal
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;                          // exact
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

/// float to f16 bits, round to nearest even; NaN stays a (quiet) NaN, |value| >= 65520 gives inf.
inline uint16_t float_to_f16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t x = bits & 0x7FFFFFFFu;
  if (x > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u | ((x >> 13) & 0x3FFu));  // NaN
  if (x >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520 (and inf) round to inf
  if (x <= 0x33000000u) return sign;                                   // <= 2^-25: to zero (2^-25 is a tie)
  uint32_t out = 0;
  uint32_t rest = 0, half = 0;
  if (x < 0x38800000u) {                      // below 2^-14: an f16 subnormal, in units of 2^-24
    const uint32_t shift = 126u - (x >> 23);  // 14..24
    const uint32_t mantissa = (x & 0x7FFFFFu) | 0x800000u;
    out = mantissa >> shift;
    rest = mantissa & ((1u << shift) - 1u);
    half = 1u << (shift - 1u);
  } else {
    out = (((x >> 23) - 112u) << 10) | ((x >> 13) & 0x3FFu);
    rest = x & 0x1FFFu;
    half = 0x1000u;
  }
  if (rest > half || (rest == half && (out & 1u))) ++out;  // a carry into the exponent is the right answer
  return static_cast<uint16_t>(sign | out);
}

/// double to the float with round-to-odd: truncate, then set the lowest mantissa bit when anything was cut off.
/// Rounding that float again to a format at least 2 bits narrower equals rounding the double directly.
inline float double_to_float_round_to_odd(double value) {
  if (std::isnan(value) || std::isinf(value)) return static_cast<float>(value);
  if (std::fabs(value) > static_cast<double>(FLT_MAX)) return value > 0 ? FLT_MAX : -FLT_MAX;  // FLT_MAX is odd
  const float nearest = static_cast<float>(value);
  if (static_cast<double>(nearest) == value) return nearest;
  uint32_t bits = std::bit_cast<uint32_t>(nearest);
  if (std::fabs(static_cast<double>(nearest)) > std::fabs(value)) --bits;  // one step toward zero (sign-magnitude)
  return std::bit_cast<float>(bits | 1u);
}

/// double to bf16 bits, rounded once to nearest even.
inline uint16_t double_to_bf16(double value) { return float_to_bf16(double_to_float_round_to_odd(value)); }

/// double to f16 bits, rounded once to nearest even.
inline uint16_t double_to_f16(double value) { return float_to_f16(double_to_float_round_to_odd(value)); }

}  // namespace attend
