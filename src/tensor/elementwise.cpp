#include "attend/tensor/elementwise.hpp"

#include <cmath>
#include <type_traits>

#include "attend/tensor/kernels/activation.hpp"
#include "attend/tensor/map.hpp"

namespace attend {

Tensor add(const Tensor& a, const Tensor& b) { return map(a, b, [](auto x, auto y) { return x + y; }, "add"); }
Tensor sub(const Tensor& a, const Tensor& b) { return map(a, b, [](auto x, auto y) { return x - y; }, "sub"); }
void add_into(const Tensor& dst, const Tensor& src) {
  ATTEND_CHECK(dst.defined() && src.defined(), "add_into: undefined tensor");
  ATTEND_CHECK(dst.dtype() == src.dtype(), "add_into: dtypes differ ({} and {}); shapes {} and {}",
               dtype_name(dst.dtype()), dtype_name(src.dtype()), shape_str(dst.shape()), shape_str(src.shape()));
  ATTEND_CHECK(broadcast_shapes(dst.shape(), src.shape(), "add_into") == dst.shape(),
               "add_into: src shape {} does not broadcast to dst shape {}", shape_str(src.shape()),
               shape_str(dst.shape()));
  const Tensor from = src.expand(dst.shape());
  dispatch_floating(dst.dtype(), "add_into", [&](auto tag) {
    using T = decltype(tag);
    T* d = static_cast<T*>(dst.storage()->data());
    const T* s = static_cast<const T*>(from.storage()->data());
    detail::for_each_row<2>(dst.shape(), {dst.strides(), from.strides()}, {dst.offset(), from.offset()},
                            [&](auto off, int64_t n, auto st) {
                              T* o = d + off[0];
                              const T* x = s + off[1];
                              if (st[0] == 1 && st[1] == 1) {
                                for (int64_t i = 0; i < n; ++i) o[i] += x[i];
                              } else {
                                for (int64_t i = 0; i < n; ++i) o[i * st[0]] += x[i * st[1]];
                              }
                            });
  });
}

Tensor mul(const Tensor& a, const Tensor& b) { return map(a, b, [](auto x, auto y) { return x * y; }, "mul"); }
Tensor div(const Tensor& a, const Tensor& b) { return map(a, b, [](auto x, auto y) { return x / y; }, "div"); }
Tensor pow(const Tensor& a, const Tensor& b) { return map(a, b, [](auto x, auto y) { return std::pow(x, y); }, "pow"); }
Tensor maximum(const Tensor& a, const Tensor& b) {
  return map(a, b, [](auto x, auto y) { return x > y || std::isnan(x) ? x : y; }, "maximum");
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return map(a, b, [](auto x, auto y) { return x < y || std::isnan(x) ? x : y; }, "minimum");
}

Tensor add(const Tensor& a, double s) {
  return map(a, [s](auto x) { return static_cast<decltype(x)>(x + s); }, "add");
}
Tensor mul(const Tensor& a, double s) {
  return map(a, [s](auto x) { return static_cast<decltype(x)>(x * s); }, "mul");
}
Tensor pow(const Tensor& a, double e) {
  return map(a, [e](auto x) { return static_cast<decltype(x)>(std::pow(x, static_cast<decltype(x)>(e))); }, "pow");
}

Tensor neg(const Tensor& x) { return map(x, [](auto v) { return -v; }, "neg"); }
Tensor exp(const Tensor& x) { return map(x, [](auto v) { return std::exp(v); }, "exp"); }
Tensor log(const Tensor& x) { return map(x, [](auto v) { return std::log(v); }, "log"); }
Tensor sqrt(const Tensor& x) { return map(x, [](auto v) { return std::sqrt(v); }, "sqrt"); }
Tensor rsqrt(const Tensor& x) {
  return map(x, [](auto v) { return static_cast<decltype(v)>(1) / std::sqrt(v); }, "rsqrt");
}
Tensor abs(const Tensor& x) { return map(x, [](auto v) { return std::abs(v); }, "abs"); }
Tensor tanh(const Tensor& x) {
  return map(x, [](auto v) {
    if constexpr (std::is_same_v<decltype(v), float>) {
      return kernels::tanh_fast(v);  // vectorised; f64 (gradchecks) keeps std::tanh
    } else {
      return std::tanh(v);
    }
  }, "tanh");
}
Tensor sigmoid(const Tensor& x) {
  return map(x, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_same_v<T, float>) {
      return kernels::sigmoid_fast(v);  // vectorised; f64 (gradchecks) keeps the exact form below
    }
    // Split by sign so exp never overflows.
    if (v >= 0) return static_cast<T>(1) / (static_cast<T>(1) + std::exp(-v));
    const T e = std::exp(v);
    return e / (static_cast<T>(1) + e);
  }, "sigmoid");
}
Tensor relu(const Tensor& x) {
  return map(x, [](auto v) { return v > 0 ? v : static_cast<decltype(v)>(0); }, "relu");
}
Tensor gelu(const Tensor& x) {
  return map(x, [](auto v) {
    using T = decltype(v);
    return static_cast<T>(0.5) * v * (static_cast<T>(1) + std::erf(v * static_cast<T>(M_SQRT1_2)));
  }, "gelu");
}

namespace {

template <class F>
Tensor compare(const Tensor& a, const Tensor& b, F relation, const char* op) {
  // Computed in the operands' dtype, then narrowed to u8.
  return map(a, b, [relation](auto x, auto y) { return static_cast<decltype(x)>(relation(x, y) ? 1 : 0); }, op)
      .to(DType::u8);
}

}  // namespace

Tensor gt(const Tensor& a, const Tensor& b) { return compare(a, b, [](auto x, auto y) { return x > y; }, "gt"); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(a, b, [](auto x, auto y) { return x < y; }, "lt"); }
Tensor eq(const Tensor& a, const Tensor& b) { return compare(a, b, [](auto x, auto y) { return x == y; }, "eq"); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  ATTEND_CHECK(cond.dtype() == DType::u8, "where: cond must be u8 (a bool mask), got {} with shape {}",
               dtype_name(cond.dtype()), shape_str(cond.shape()));
  return map(cond.to(a.dtype()), a, b, [](auto c, auto x, auto y) { return c != 0 ? x : y; }, "where");
}

bool all_finite(const Tensor& x) {
  if (!is_floating(x.dtype())) return true;
  const Tensor flags = map(x, [](auto v) { return static_cast<decltype(v)>(std::isfinite(v) ? 0 : 1); }, "all_finite");
  return dispatch_floating(flags.dtype(), "all_finite", [&](auto tag) {
    const auto* p = flags.data<decltype(tag)>();
    for (int64_t i = 0; i < flags.numel(); ++i) {
      if (p[i] != 0) return false;
    }
    return true;
  });
}

}  // namespace attend
