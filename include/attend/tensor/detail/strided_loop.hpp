// Internal (used by tensor/map.hpp): iterate N strided operands of one shape, row by row, so the innermost loop is a plain pointer loop.
//
// Dims that are contiguous for every operand are merged first (a contiguous [8, 64, 512] becomes one row of
// 262144), then rows are spread over OpenMP threads when there is enough work. Each element is computed by one
// thread in one order, so results never depend on the thread count.
#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "attend/core/shape.hpp"
#include "attend/core/threads.hpp"

namespace attend::detail {

template <size_t N>
struct StridedLoop {
  Shape shape;                   // coalesced; at least one dim
  std::array<Strides, N> strides;  // per operand, in elements
};

template <size_t N>
StridedLoop<N> coalesce(const Shape& shape, const std::array<Strides, N>& strides) {
  StridedLoop<N> loop;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;  // extent-1 dims never move the pointers
    bool merge = !loop.shape.empty();
    for (size_t k = 0; k < N && merge; ++k) merge = loop.strides[k].back() == strides[k][d] * shape[d];
    if (merge) {
      loop.shape.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) loop.strides[k].back() = strides[k][d];
    } else {
      loop.shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) loop.strides[k].push_back(strides[k][d]);
    }
  }
  if (loop.shape.empty()) {
    loop.shape.push_back(1);
    for (size_t k = 0; k < N; ++k) loop.strides[k].push_back(0);
  }
  return loop;
}

/// body(offsets, count, inner_strides): process `count` elements starting at element offsets[k] of operand k,
/// stepping inner_strides[k]. `bases` are the operands' starting offsets.
template <size_t N, class Body>
void for_each_row(const Shape& shape, const std::array<Strides, N>& strides, const std::array<int64_t, N>& bases,
                  Body&& body) {
  const StridedLoop<N> loop = coalesce(shape, strides);
  const int64_t rank = static_cast<int64_t>(loop.shape.size());
  const int64_t inner = loop.shape.back();
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < rank; ++d) rows *= loop.shape[d];
  if (rows == 0 || inner == 0) return;
  std::array<int64_t, N> inner_strides;
  for (size_t k = 0; k < N; ++k) inner_strides[k] = loop.strides[k].back();
  // Long rows are cut into chunks so a single contiguous row still spreads over threads.
  const int64_t chunk = inner > (int64_t{1} << 14) ? (int64_t{1} << 14) : inner;
  const int64_t chunks_per_row = (inner + chunk - 1) / chunk;
  const int64_t items = rows * chunks_per_row;
  const bool parallel = parallel_worth(items, rows * inner);
  parallel_for(items, parallel, [&](int64_t item) {
    const int64_t row = item / chunks_per_row;
    const int64_t start = (item % chunks_per_row) * chunk;
    std::array<int64_t, N> offsets = bases;
    int64_t rest = row;
    for (int64_t d = rank - 2; d >= 0; --d) {
      const int64_t i = rest % loop.shape[d];
      rest /= loop.shape[d];
      for (size_t k = 0; k < N; ++k) offsets[k] += i * loop.strides[k][d];
    }
    for (size_t k = 0; k < N; ++k) offsets[k] += start * inner_strides[k];
    body(offsets, std::min(chunk, inner - start), inner_strides);
  });
}

}  // namespace attend::detail
