// Differentiable elementwise ops on Var (forward and backward in src/ops/elementwise.cpp).
//
// Binary ops broadcast (NumPy rules); their gradients are summed back to each input's shape by the engine.
// Shapes: out = broadcast(a.shape, b.shape). Scalar overloads treat the double as a constant.
//   Var h = tanh(add(matmul(x, w), b));
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var div(const Var& a, const Var& b);
Var add(const Var& a, double s);
Var mul(const Var& a, double s);
/// x ** exponent for a constant exponent.
Var pow(const Var& x, double exponent);
Var neg(const Var& x);
Var exp(const Var& x);
Var log(const Var& x);
Var sqrt(const Var& x);
Var tanh(const Var& x);
Var sigmoid(const Var& x);
Var relu(const Var& x);
/// Exact GELU, x·Φ(x) (torch's approximate='none').
Var gelu(const Var& x);

inline Var operator+(const Var& a, const Var& b) { return add(a, b); }
inline Var operator-(const Var& a, const Var& b) { return sub(a, b); }
inline Var operator*(const Var& a, const Var& b) { return mul(a, b); }
inline Var operator/(const Var& a, const Var& b) { return div(a, b); }
inline Var operator-(const Var& x) { return neg(x); }
inline Var operator+(const Var& a, double s) { return add(a, s); }
inline Var operator-(const Var& a, double s) { return add(a, -s); }
inline Var operator*(const Var& a, double s) { return mul(a, s); }
inline Var operator*(double s, const Var& a) { return mul(a, s); }
inline Var operator/(const Var& a, double s) { return mul(a, 1.0 / s); }

}  // namespace attend
