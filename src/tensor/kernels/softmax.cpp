// Naive reference softmax / log-softmax over contiguous rows (plain loops, double accumulation; rows over the OpenMP
// threads) and the dispatch for the fast entry points: AVX-512 (softmax_avx512.cpp) when the CPU has it, otherwise
// these loops.
#include "attend/tensor/kernels/softmax.hpp"

#include <cmath>
#include <limits>

#include "attend/core/threads.hpp"
#include "softmax_avx512.hpp"

namespace attend::kernels {

namespace {

// Max of a row; -inf for an all -inf row (then every output is defined as 0).
double row_max(const float* x, int64_t cols) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < cols; ++j) m = std::fmax(m, static_cast<double>(x[j]));
  return m;
}

// Shared row loop of the naive kernels: per row the max m and s = Σ exp(x − m) in double, then
// write(x_j, m, s) per element. An all -inf row gives zeros.
template <class Write>
void naive_rows(const float* x, float* y, int64_t rows, int64_t cols, Write write) {
  parallel_for(rows, detail::parallel_rows(rows, cols), [&](int64_t r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const double m = row_max(xr, cols);
    if (m == -std::numeric_limits<double>::infinity()) {
      for (int64_t j = 0; j < cols; ++j) yr[j] = 0.0F;
      return;
    }
    double s = 0.0;
    for (int64_t j = 0; j < cols; ++j) s += std::exp(static_cast<double>(xr[j]) - m);
    for (int64_t j = 0; j < cols; ++j) yr[j] = static_cast<float>(write(static_cast<double>(xr[j]), m, s));
  });
}

}  // namespace

void softmax_rows_naive(const float* x, float* y, int64_t rows, int64_t cols) {
  naive_rows(x, y, rows, cols, [](double v, double m, double s) { return std::exp(v - m) / s; });
}

void log_softmax_rows_naive(const float* x, float* y, int64_t rows, int64_t cols) {
  naive_rows(x, y, rows, cols, [](double v, double m, double s) { return v - (m + std::log(s)); });
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  if (detail::avx512_available()) {
    detail::softmax_rows_avx512(x, y, rows, cols, false);
  } else {
    softmax_rows_naive(x, y, rows, cols);
  }
}

void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  if (detail::avx512_available()) {
    detail::softmax_rows_avx512(x, y, rows, cols, true);
  } else {
    log_softmax_rows_naive(x, y, rows, cols);
  }
}

}  // namespace attend::kernels
