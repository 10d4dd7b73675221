// No-grad elementwise math on Tensors (the differentiable versions on Var are in ops/elementwise.hpp).
//
// Binary functions broadcast (NumPy rules) and require both operands to have the same floating dtype; scalar
// overloads take a double. Comparisons return u8 (1 = true). Every function returns a new contiguous tensor.
//   Tensor y = tanh(x) * 2.0 + b;     // b broadcasts
#pragma once

#include "attend/tensor/tensor.hpp"

namespace attend {

Tensor add(const Tensor& a, const Tensor& b);
/// dst += src in place (src broadcast to dst's shape, same floating dtype): gradient accumulation without a new
/// tensor. Each element is updated by one thread. Throws naming both shapes when src does not broadcast to dst.
void add_into(const Tensor& dst, const Tensor& src);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
/// a ** b elementwise.
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor add(const Tensor& a, double s);
Tensor mul(const Tensor& a, double s);
Tensor pow(const Tensor& a, double exponent);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
/// Exact GELU, x·Φ(x) with the error function (torch's default approximate='none').
Tensor gelu(const Tensor& x);

/// u8 results: 1 where the relation holds.
Tensor gt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
/// cond (u8, broadcast) ? a : b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
/// True when every element is finite (no NaN, no ±Inf).
bool all_finite(const Tensor& x);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, s); }
inline Tensor operator+(double s, const Tensor& a) { return add(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return add(a, -s); }
inline Tensor operator-(double s, const Tensor& a) { return add(neg(a), s); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
inline Tensor operator/(const Tensor& a, double s) { return mul(a, 1.0 / s); }

}  // namespace attend
