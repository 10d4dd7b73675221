// Private to tensor/kernels: the AVX-512 softmax rows (softmax_avx512.cpp), chosen at run time by softmax.cpp.
#pragma once

#include <cstdint>

namespace attend::kernels::detail {

/// True when this CPU runs AVX-512 F/BW/DQ/VL (checked once).
bool avx512_available();

/// softmax (log_softmax when `log`) of `rows` contiguous rows of `cols` floats; x == y allowed, partial overlap not.
/// Only call when avx512_available().
void softmax_rows_avx512(const float* x, float* y, int64_t rows, int64_t cols, bool log);

/// Whether a rows × cols softmax should spread its rows over the OpenMP threads (shared with the naive loops).
bool parallel_rows(int64_t rows, int64_t cols);

}  // namespace attend::kernels::detail
