// No-grad softmax / log_softmax along any dim and their backward formulas. The dim is moved last (a copy only when
// it is not already the contiguous last dim), then every row is handled by one thread in a fixed order: f32 rows go
// to tensor/kernels/softmax, f64 rows (gradchecks) to the loops below, backward rows to the loops below.
#include "attend/tensor/softmax.hpp"

#include "attend/core/threads.hpp"

#include <omp.h>

#include <cmath>
#include <limits>

#include "attend/tensor/kernels/softmax.hpp"

namespace attend {

namespace {

// x with `dim` moved last, contiguous: [rows, cols]. undo() brings a [rows, cols] result back to x's layout.
struct Rows {
  Tensor data;
  int64_t dim = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  bool moved = false;

  Tensor undo(const Tensor& r) const { return moved ? r.transpose(dim, -1).contiguous() : r; }
};

Rows as_rows(const Tensor& x, int64_t dim, const char* op) {
  ATTEND_CHECK(x.defined(), "{}: the input tensor is undefined", op);
  Rows r;
  r.dim = normalize_dim(dim, x.dim(), op, x.shape());
  r.moved = x.dim() > 0 && r.dim != x.dim() - 1;
  r.data = (r.moved ? x.transpose(r.dim, -1) : x).contiguous();
  r.cols = x.dim() == 0 ? 1 : x.size(r.dim);
  r.rows = r.cols == 0 ? 0 : x.numel() / r.cols;
  return r;
}

bool parallel_rows(int64_t rows, int64_t cols) {
  return parallel_worth(rows, rows * cols);
}

// The f64 twin of kernels::softmax_rows_naive / log_softmax_rows_naive (a row of all -inf gives zeros).
template <bool kLog>
void rows_f64(const double* x, double* y, int64_t rows, int64_t cols) {
  parallel_for(rows, parallel_rows(rows, cols), [&](int64_t r) {
    const double* xr = x + r * cols;
    double* yr = y + r * cols;
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < cols; ++j) m = std::fmax(m, xr[j]);
    if (m == -std::numeric_limits<double>::infinity()) {
      for (int64_t j = 0; j < cols; ++j) yr[j] = 0.0;
      return;
    }
    double s = 0.0;
    for (int64_t j = 0; j < cols; ++j) s += std::exp(xr[j] - m);
    if constexpr (kLog) {
      const double lse = m + std::log(s);
      for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - lse;
    } else {
      const double inv = 1.0 / s;
      for (int64_t j = 0; j < cols; ++j) yr[j] = std::exp(xr[j] - m) * inv;
    }
  });
}

template <bool kLog>
Tensor forward(const Tensor& x, int64_t dim, const char* op) {
  const Rows r = as_rows(x, dim, op);
  Tensor y = Tensor::empty(r.data.shape(), x.dtype());
  dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (r.rows == 0) return;
    if constexpr (std::is_same_v<T, float>) {
      if constexpr (kLog) kernels::log_softmax_rows(r.data.data<float>(), y.data<float>(), r.rows, r.cols);
      else kernels::softmax_rows(r.data.data<float>(), y.data<float>(), r.rows, r.cols);
    } else {
      rows_f64<kLog>(r.data.data<double>(), y.data<double>(), r.rows, r.cols);
    }
  });
  return r.undo(y);
}

// Row-wise backward: dx = row(dy, y, dot) with dot = Σ_j w(dy_j, y_j) accumulated in double.
template <class Weight, class Row>
Tensor backward(const Tensor& grad_y, const Tensor& y, int64_t dim, const char* op, Weight weight, Row row) {
  ATTEND_CHECK(grad_y.defined() && y.defined(), "{}: a tensor argument is undefined", op);
  ATTEND_CHECK(grad_y.shape() == y.shape() && grad_y.dtype() == y.dtype(),
               "{}: grad_y {} {} must match y {} {}", op, dtype_name(grad_y.dtype()), shape_str(grad_y.shape()),
               dtype_name(y.dtype()), shape_str(y.shape()));
  const Rows g = as_rows(grad_y, dim, op);
  const Rows o = as_rows(y, dim, op);
  Tensor dx = Tensor::empty(g.data.shape(), y.dtype());
  dispatch_floating(y.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* gp = g.data.template data<T>();
    const T* yp = o.data.template data<T>();
    T* dp = dx.template data<T>();
    const int64_t cols = g.cols;
    parallel_for(g.rows, parallel_rows(g.rows, cols), [&](int64_t r) {
      const T* gr = gp + r * cols;
      const T* yr = yp + r * cols;
      double dot = 0.0;
      for (int64_t j = 0; j < cols; ++j) dot += weight(static_cast<double>(gr[j]), static_cast<double>(yr[j]));
      row(gr, yr, dp + r * cols, cols, dot);
    });
  });
  return g.undo(dx);
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return forward<false>(x, dim, "softmax"); }

Tensor log_softmax(const Tensor& x, int64_t dim) { return forward<true>(x, dim, "log_softmax"); }

Tensor length_softmax(const Tensor& x, const Tensor& lengths) {
  const char* op = "length_softmax";
  ATTEND_CHECK(x.defined() && x.dim() >= 2, "{}: x must be [B, ..., T] (2 or more dims), got shape {}", op,
               x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  const int64_t B = x.size(0), cols = x.size(-1);
  ATTEND_CHECK(lengths.defined() && lengths.dtype() == DType::i64 && lengths.dim() == 1 && lengths.size(0) == B,
               "{}: lengths must be i64 [B] = [{}], got {} with shape {}; x shape {}", op, B,
               lengths.defined() ? dtype_name(lengths.dtype()) : "undefined", shape_str(lengths.shape()),
               shape_str(x.shape()));
  const std::vector<int64_t> len = lengths.contiguous().to_vector<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    ATTEND_CHECK(len[static_cast<size_t>(b)] >= 0 && len[static_cast<size_t>(b)] <= cols,
                 "{}: lengths[{}] = {} is outside [0, T = {}]; x shape {}", op, b, len[static_cast<size_t>(b)], cols,
                 shape_str(x.shape()));
  }
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  if (x.numel() == 0) return y;
  const int64_t rows = x.numel() / cols, per_item = rows / B;
  dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* xp = xc.data<T>();
    T* yp = y.data<T>();
    parallel_for(rows, parallel_rows(rows, cols), [&](int64_t r) {
      const int64_t n = len[static_cast<size_t>(r / per_item)];
      if constexpr (std::is_same_v<T, float>) {
        if (n > 0) kernels::softmax_rows(xp + r * cols, yp + r * cols, 1, n);
      } else {
        if (n > 0) rows_f64<false>(xp + r * cols, yp + r * cols, 1, n);
      }
      for (int64_t j = n; j < cols; ++j) yp[r * cols + j] = T{0};
    });
  });
  return y;
}

// dx = y ⊙ (dy − Σ dy ⊙ y); an all -inf row has y = 0, hence dx = 0.
Tensor softmax_backward(const Tensor& grad_y, const Tensor& y, int64_t dim) {
  return backward(grad_y, y, dim, "softmax_backward", [](double g, double v) { return g * v; },
                  [](const auto* g, const auto* v, auto* dx, int64_t cols, double dot) {
                    using T = std::remove_const_t<std::remove_pointer_t<decltype(g)>>;
                    for (int64_t j = 0; j < cols; ++j) dx[j] = static_cast<T>(v[j] * (g[j] - dot));
                  });
}

// dx = dy − exp(y) Σ dy. An all -inf row is the only row whose log_softmax is all zeros when it has ≥ 2 entries
// (otherwise Σ exp(y) = 1 forces some y < 0); its gradient is 0. With 1 entry the formula gives 0 anyway.
Tensor log_softmax_backward(const Tensor& grad_y, const Tensor& y, int64_t dim) {
  return backward(grad_y, y, dim, "log_softmax_backward", [](double g, double) { return g; },
                  [](const auto* g, const auto* v, auto* dx, int64_t cols, double dot) {
                    using T = std::remove_const_t<std::remove_pointer_t<decltype(g)>>;
                    bool masked = true;
                    for (int64_t j = 0; j < cols && masked; ++j) masked = v[j] == T{0};
                    for (int64_t j = 0; j < cols; ++j) {
                      dx[j] = masked ? T{0} : static_cast<T>(g[j] - std::exp(static_cast<double>(v[j])) * dot);
                    }
                  });
}

}  // namespace attend
