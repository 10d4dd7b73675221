#include "attend/tensor/reduce.hpp"

#include "attend/core/threads.hpp"

#include <omp.h>

#include <cmath>
#include <limits>

namespace attend {

namespace {

struct Plan {
  Tensor rows;        // [outer, inner] contiguous: one row per output element, reduced along the row
  Shape out_shape;    // with keepdim applied
  int64_t outer = 1;
  int64_t inner = 1;
};

std::vector<bool> reduced_mask(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<bool> mask(x.dim(), dims.empty());
  for (int64_t d : dims) {
    const int64_t n = normalize_dim(d, x.dim(), op, x.shape());
    if (x.dim() == 0) continue;  // dim 0 or -1 of a scalar: nothing to reduce
    ATTEND_CHECK(!mask[n] || dims.empty(), "{}: dim {} listed twice (shape {})", op, n, shape_str(x.shape()));
    mask[n] = true;
  }
  return mask;
}

// Moves the reduced dims last and makes the tensor contiguous (a no-op when they already are).
Plan plan(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, const char* op) {
  const std::vector<bool> mask = reduced_mask(x, dims, op);
  std::vector<int64_t> order;
  Plan p;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (!mask[d]) {
      order.push_back(d);
      p.outer *= x.size(d);
      p.out_shape.push_back(x.size(d));
    } else if (keepdim) {
      p.out_shape.push_back(1);
    }
  }
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (mask[d]) {
      order.push_back(d);
      p.inner *= x.size(d);
    }
  }
  p.rows = x.permute(order).contiguous();
  return p;
}

// out[r] = finish(fold over row r); one thread per row, in index order.
template <class T, class Acc, class Fold, class Finish>
Tensor reduce_rows(const Plan& p, DType out_dtype, Acc init, Fold fold, Finish finish) {
  Tensor out = Tensor::empty(p.out_shape, out_dtype);
  const T* in = p.rows.numel() > 0 ? p.rows.template data<T>() : nullptr;
  auto* dst = static_cast<T*>(out.raw_data());
  const bool parallel = parallel_worth(p.outer, p.outer * p.inner);
  parallel_for(p.outer, parallel, [&](int64_t r) {
    Acc acc = init;
    const T* row = in + r * p.inner;
    for (int64_t i = 0; i < p.inner; ++i) acc = fold(acc, row[i]);
    dst[r] = finish(acc, row);
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const Plan p = plan(x, dims, keepdim, "sum");
  return dispatch_floating(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    return reduce_rows<T>(p, x.dtype(), 0.0, [](double a, T v) { return a + static_cast<double>(v); },
                          [](double a, const T*) { return static_cast<T>(a); });
  });
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const Plan p = plan(x, dims, keepdim, "mean");
  ATTEND_CHECK(p.inner > 0, "mean: reducing over zero elements (shape {})", shape_str(x.shape()));
  const double scale = 1.0 / static_cast<double>(p.inner);
  return dispatch_floating(x.dtype(), "mean", [&](auto tag) {
    using T = decltype(tag);
    return reduce_rows<T>(p, x.dtype(), 0.0, [](double a, T v) { return a + static_cast<double>(v); },
                          [scale](double a, const T*) { return static_cast<T>(a * scale); });
  });
}

Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const Plan p = plan(x, dims, keepdim, "amax");
  ATTEND_CHECK(p.inner > 0, "amax: reducing over zero elements (shape {})", shape_str(x.shape()));
  return dispatch_floating(x.dtype(), "amax", [&](auto tag) {
    using T = decltype(tag);
    return reduce_rows<T>(p, x.dtype(), -std::numeric_limits<T>::infinity(),
                          [](T a, T v) { return (v > a || std::isnan(v)) && !std::isnan(a) ? v : a; },
                          [](T a, const T*) { return a; });
  });
}

Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const Plan p = plan(x, dims, keepdim, "logsumexp");
  const int64_t inner = p.inner;
  return dispatch_floating(x.dtype(), "logsumexp", [&](auto tag) {
    using T = decltype(tag);
    return reduce_rows<T>(p, x.dtype(), -std::numeric_limits<T>::infinity(),
                          [](T a, T v) { return v > a ? v : a; },
                          [inner](T m, const T* row) {
                            if (std::isinf(m)) return m;  // all -inf gives -inf; +inf gives +inf
                            double s = 0.0;
                            for (int64_t i = 0; i < inner; ++i) s += std::exp(static_cast<double>(row[i] - m));
                            return static_cast<T>(static_cast<double>(m) + std::log(s));
                          });
  });
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  const Plan p = plan(x, {dim}, keepdim, "argmax");
  ATTEND_CHECK(p.inner > 0, "argmax: reducing over zero elements (shape {})", shape_str(x.shape()));
  Tensor out = Tensor::empty(p.out_shape, DType::i64);
  int64_t* dst = out.data<int64_t>();
  dispatch_floating(x.dtype(), "argmax", [&](auto tag) {
    using T = decltype(tag);
    const T* in = p.rows.template data<T>();
    for (int64_t r = 0; r < p.outer; ++r) {
      const T* row = in + r * p.inner;
      int64_t best = 0;
      for (int64_t i = 1; i < p.inner; ++i) {
        if (row[i] > row[best] || (std::isnan(row[i]) && !std::isnan(row[best]))) best = i;
      }
      dst[r] = best;
    }
  });
  return out;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  ATTEND_CHECK(broadcast_shapes(shape, x.shape(), "sum_to") == x.shape(),
               "sum_to: shape {} does not broadcast to {}", shape_str(shape), shape_str(x.shape()));
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && x.size(d) != 1)) dims.push_back(d);
  }
  if (dims.empty()) return x.reshape(shape);
  return sum(x, dims, true).reshape(shape);
}

}  // namespace attend
