// Raw softmax kernels over contiguous rows: y[r, :] = softmax(x[r, :]) for r < rows, each row `cols` long.
//
// `softmax_rows_naive` is the reference (plain loops, double accumulation); `softmax_rows` is the fast path
// (AVX-512 when the CPU has it, otherwise the naive loop). A test compares them; bench/ times them against
// torch.softmax. Rows are spread over the OpenMP threads; each row is computed by one thread in a fixed order, so
// results do not depend on the thread count. x and y may alias (in place).
#pragma once

#include <cstdint>

namespace attend::kernels {

void softmax_rows_naive(const float* x, float* y, int64_t rows, int64_t cols);
void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
void log_softmax_rows_naive(const float* x, float* y, int64_t rows, int64_t cols);
void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);

}  // namespace attend::kernels
