// Elementwise activation kernels for f32: a vectorisable tanh (and the sigmoid made from it) next to the reference
// (std::tanh).
//
// tanh_fast is the rational approximation Eigen uses for float (a degree-13 odd numerator over a degree-6 even
// denominator, inputs clamped to ±7.9053, where tanh rounds to ±1 within 1 ulp; |x| < 4e-4 returns x). It has no
// branches and no library call, so the compiler vectorises the loops that apply it (glibc's tanhf is a scalar call
// through expm1f and dominated the training profile of attention RNNs). NaN propagates. A unit test bounds its error
// against std::tanh in double over [-20, 20] (max abs error < 1e-6) and checks NaN and ±inf.
#pragma once

#include <cmath>
#include <type_traits>

namespace attend::kernels {

/// The reference.
inline float tanh_naive(float x) { return std::tanh(x); }

inline float tanh_fast(float x) {
  const float c = 7.90531110763549805f;
  const float v = x > c ? c : (x < -c ? -c : x);
  const float v2 = v * v;
  float p = -2.76076847742355e-16f;
  p = p * v2 + 2.00018790482477e-13f;
  p = p * v2 - 8.60467152213735e-11f;
  p = p * v2 + 5.12229709037114e-08f;
  p = p * v2 + 1.48572235717979e-05f;
  p = p * v2 + 6.37261928875436e-04f;
  p = p * v2 + 4.89352455891786e-03f;
  p = p * v;
  float q = 1.19825839466702e-06f;
  q = q * v2 + 1.18534705686654e-04f;
  q = q * v2 + 2.26843463243900e-03f;
  q = q * v2 + 4.89352518554385e-03f;
  const float r = p / q;
  const float small = (x < 0.0004f && x > -0.0004f) ? x : r;
  return x != x ? x : small;  // NaN in, NaN out
}

/// σ(x) = (1 + tanh(x/2)) / 2 through tanh_fast: absolute error < 1e-6 (relative accuracy is lost only where
/// σ(x) < 1e-6, far below anything a gate or an attention weight resolves).
inline float sigmoid_fast(float x) { return 0.5f + 0.5f * tanh_fast(0.5f * x); }

/// For op templates over f32 and f64: the vectorised tanh in f32 (as the elementwise ops use), std::tanh in f64
/// (gradchecks).
template <class T>
T tanh_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return tanh_fast(x);
  } else {
    return std::tanh(x);
  }
}

/// The same for σ: sigmoid_fast in f32; in f64 the exact form, split by sign so exp never overflows.
template <class T>
T sigmoid_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return sigmoid_fast(x);
  } else {
    if (x >= 0) return T{1} / (T{1} + std::exp(-x));
    const T e = std::exp(x);
    return e / (T{1} + e);
  }
}

}  // namespace attend::kernels
