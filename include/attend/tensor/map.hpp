// map: apply a scalar function elementwise over one, two or three broadcast tensors of one floating dtype.
//
// The building block of the no-grad elementwise math and of hand-written backward formulas:
//   Tensor gx = map(gy, x, [](auto g, auto v) { return g * (v > 0 ? 1 : 0); }, "relu_backward");
// f is called with T = float or double (the operands' dtype) and must return T. Operands broadcast (NumPy rules);
// the result is a new contiguous tensor. Each element is computed once, by one thread, so the result does not depend
// on the thread count.
#pragma once

#include <array>

#include "attend/tensor/detail/strided_loop.hpp"
#include "attend/tensor/tensor.hpp"

namespace attend {

namespace detail {

template <size_t N, class F>
Tensor map_n(const std::array<const Tensor*, N>& in, F&& f, const char* op) {
  Shape shape = in[0]->shape();
  for (size_t k = 0; k < N; ++k) {
    ATTEND_CHECK(in[k]->defined(), "{}: operand {} is undefined", op, k);
    ATTEND_CHECK(in[k]->dtype() == in[0]->dtype(), "{}: operands have different dtypes ({} and {})", op,
                 dtype_name(in[0]->dtype()), dtype_name(in[k]->dtype()));
    if (k > 0) shape = broadcast_shapes(shape, in[k]->shape(), op);
  }
  Tensor out = Tensor::empty(shape, in[0]->dtype());
  dispatch_floating(in[0]->dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    std::array<Strides, N + 1> strides;
    std::array<int64_t, N + 1> bases;
    std::array<const T*, N> base_ptr;
    strides[0] = out.strides();
    bases[0] = 0;
    for (size_t k = 0; k < N; ++k) {
      const Tensor view = in[k]->expand(shape);
      strides[k + 1] = view.strides();
      bases[k + 1] = view.offset();
      base_ptr[k] = static_cast<const T*>(view.storage()->data());
    }
    T* dst = out.data<T>();
    for_each_row<N + 1>(shape, strides, bases, [&](const auto& off, int64_t n, const auto& st) {
      T* o = dst + off[0];
      if constexpr (N == 1) {
        const T* a = base_ptr[0] + off[1];
        if (st[0] == 1 && st[1] == 1) {
          for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(a[i * st[1]]);
        }
      } else if constexpr (N == 2) {
        const T* a = base_ptr[0] + off[1];
        const T* b = base_ptr[1] + off[2];
        if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
          for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(a[i * st[1]], b[i * st[2]]);
        }
      } else {
        const T* a = base_ptr[0] + off[1];
        const T* b = base_ptr[1] + off[2];
        const T* c = base_ptr[2] + off[3];
        for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(a[i * st[1]], b[i * st[2]], c[i * st[3]]);
      }
    });
  });
  return out;
}

}  // namespace detail

template <class F>
Tensor map(const Tensor& x, F&& f, const char* op) {
  return detail::map_n<1>({&x}, f, op);
}
template <class F>
Tensor map(const Tensor& a, const Tensor& b, F&& f, const char* op) {
  return detail::map_n<2>({&a, &b}, f, op);
}
template <class F>
Tensor map(const Tensor& a, const Tensor& b, const Tensor& c, F&& f, const char* op) {
  return detail::map_n<3>({&a, &b, &c}, f, op);
}

}  // namespace attend
