// Elementwise ops: each forward, then its backward right below.
#include "attend/ops/elementwise.hpp"

#include <cmath>
#include <numbers>

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/map.hpp"

namespace attend {

namespace {
void check_same_dtype(const Var& a, const Var& b, const char* op) {
  ATTEND_CHECK(a.dtype() == b.dtype(), "{}: operands have different dtypes ({} {} and {} {})", op,
               dtype_name(a.dtype()), shape_str(a.shape()), dtype_name(b.dtype()), shape_str(b.shape()));
}
}  // namespace

// add: d(a+b)/da = 1, d/db = 1 (broadcast dims are summed by the engine).
ATTEND_REGISTER_OP("add");
Var add(const Var& a, const Var& b) {
  check_same_dtype(a, b, "add");
  return make_result(add(a.value(), b.value()), {a, b}, [](const Tensor& g, Grads& grads) {
    grads[0] = g;
    grads[1] = g;
  }, "add");
}

// sub: d/da = 1, d/db = -1.
ATTEND_REGISTER_OP("sub");
Var sub(const Var& a, const Var& b) {
  check_same_dtype(a, b, "sub");
  return make_result(sub(a.value(), b.value()), {a, b}, [](const Tensor& g, Grads& grads) {
    grads[0] = g;
    if (grads.needs(1)) grads[1] = neg(g);
  }, "sub");
}

// mul: d/da = b, d/db = a.
ATTEND_REGISTER_OP("mul");
Var mul(const Var& a, const Var& b) {
  check_same_dtype(a, b, "mul");
  return make_result(mul(a.value(), b.value()), {a, b}, [a = a.value(), b = b.value()](const Tensor& g, Grads& grads) {
    if (grads.needs(0)) grads[0] = g * b;
    if (grads.needs(1)) grads[1] = g * a;
  }, "mul");
}

// div: y = a / b; d/da = 1/b, d/db = -y/b.
ATTEND_REGISTER_OP("div");
Var div(const Var& a, const Var& b) {
  check_same_dtype(a, b, "div");
  Tensor y = div(a.value(), b.value());
  return make_result(y, {a, b}, [y, b = b.value()](const Tensor& g, Grads& grads) {
    if (grads.needs(0)) grads[0] = g / b;
    if (grads.needs(1)) grads[1] = map(g, y, b, [](auto gv, auto yv, auto bv) { return -gv * yv / bv; }, "div_backward");
  }, "div");
}

// add_scalar: y = a + s; dy/da = 1.
ATTEND_REGISTER_OP("add_scalar");
Var add(const Var& a, double s) {
  return make_result(add(a.value(), s), {a}, [](const Tensor& g, Grads& grads) { grads[0] = g; }, "add_scalar");
}

// mul_scalar: y = a · s; dy/da = s.
ATTEND_REGISTER_OP("mul_scalar");
Var mul(const Var& a, double s) {
  return make_result(mul(a.value(), s), {a}, [s](const Tensor& g, Grads& grads) { grads[0] = g * s; }, "mul_scalar");
}

// pow: y = x^e; dy/dx = e · x^(e-1).
ATTEND_REGISTER_OP("pow");
Var pow(const Var& x, double e) {
  return make_result(pow(x.value(), e), {x}, [x = x.value(), e](const Tensor& g, Grads& grads) {
    grads[0] = map(g, x, [e](auto gv, auto xv) {
      using T = decltype(xv);
      return static_cast<T>(gv * e * std::pow(xv, static_cast<T>(e - 1)));
    }, "pow_backward");
  }, "pow");
}

// neg: dy/dx = -1.
ATTEND_REGISTER_OP("neg");
Var neg(const Var& x) {
  return make_result(neg(x.value()), {x}, [](const Tensor& g, Grads& grads) { grads[0] = neg(g); }, "neg");
}

// exp: dy/dx = y.
ATTEND_REGISTER_OP("exp");
Var exp(const Var& x) {
  Tensor y = exp(x.value());
  return make_result(y, {x}, [y](const Tensor& g, Grads& grads) { grads[0] = g * y; }, "exp");
}

// log: dy/dx = 1/x.
ATTEND_REGISTER_OP("log");
Var log(const Var& x) {
  return make_result(log(x.value()), {x}, [x = x.value()](const Tensor& g, Grads& grads) { grads[0] = g / x; }, "log");
}

// sqrt: dy/dx = 1 / (2y).
ATTEND_REGISTER_OP("sqrt");
Var sqrt(const Var& x) {
  Tensor y = sqrt(x.value());
  return make_result(y, {x}, [y](const Tensor& g, Grads& grads) {
    grads[0] = map(g, y, [](auto gv, auto yv) { return gv / (yv + yv); }, "sqrt_backward");
  }, "sqrt");
}

// tanh: dy/dx = 1 - y^2 (from the saved output).
ATTEND_REGISTER_OP("tanh");
Var tanh(const Var& x) {
  Tensor y = tanh(x.value());
  return make_result(y, {x}, [y](const Tensor& g, Grads& grads) {
    grads[0] = map(g, y, [](auto gv, auto yv) { return gv * (1 - yv * yv); }, "tanh_backward");
  }, "tanh");
}

// sigmoid: dy/dx = y (1 - y).
ATTEND_REGISTER_OP("sigmoid");
Var sigmoid(const Var& x) {
  Tensor y = sigmoid(x.value());
  return make_result(y, {x}, [y](const Tensor& g, Grads& grads) {
    grads[0] = map(g, y, [](auto gv, auto yv) { return gv * yv * (1 - yv); }, "sigmoid_backward");
  }, "sigmoid");
}

// relu: dy/dx = 1 where x > 0, else 0 (0 at x = 0, as torch).
ATTEND_REGISTER_OP("relu");
Var relu(const Var& x) {
  return make_result(relu(x.value()), {x}, [x = x.value()](const Tensor& g, Grads& grads) {
    grads[0] = map(g, x, [](auto gv, auto xv) { return xv > 0 ? gv : static_cast<decltype(gv)>(0); }, "relu_backward");
  }, "relu");
}

// gelu: y = x Φ(x); dy/dx = Φ(x) + x φ(x).
ATTEND_REGISTER_OP("gelu");
Var gelu(const Var& x) {
  return make_result(gelu(x.value()), {x}, [x = x.value()](const Tensor& g, Grads& grads) {
    grads[0] = map(g, x, [](auto gv, auto xv) {
      using T = decltype(xv);
      const T cdf = static_cast<T>(0.5) * (1 + std::erf(xv * static_cast<T>(std::numbers::sqrt2 / 2)));
      const T pdf = std::exp(static_cast<T>(-0.5) * xv * xv) * static_cast<T>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
      return gv * (cdf + xv * pdf);
    }, "gelu_backward");
  }, "gelu");
}

}  // namespace attend
