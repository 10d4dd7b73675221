// Joins and index-driven copies: plain loops; parallel only where each output element has one writer.
#include "attend/tensor/indexing.hpp"

#include "attend/core/threads.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "attend/tensor/detail/strided_loop.hpp"

namespace attend {

namespace {


void check_index(const Tensor& index, const char* op) {
  ATTEND_CHECK(index.defined(), "{}: index is undefined", op);
  ATTEND_CHECK(index.dtype() == DType::i64, "{}: index must be i64, got {} with shape {}", op,
               dtype_name(index.dtype()), shape_str(index.shape()));
}

// "3" for a 1-D index, "[1, 2]" otherwise: where flat element `flat` sits in `shape`.
std::string position_str(int64_t flat, const Shape& shape) {
  if (shape.size() <= 1) return fmt::format("{}", flat);
  std::vector<int64_t> pos(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    pos[d] = flat % shape[d];
    flat /= shape[d];
  }
  return fmt::format("[{}]", fmt::join(pos, ", "));
}

// Throws naming the first index outside [0, extent): its value, its position and the extent.
void check_range(const Tensor& index, int64_t extent, const char* op, int64_t dim, const Shape& x_shape) {
  const int64_t* idx = index.numel() > 0 ? index.data<int64_t>() : nullptr;
  for (int64_t i = 0; i < index.numel(); ++i) {
    ATTEND_CHECK(idx[i] >= 0 && idx[i] < extent,
                 "{}: index {} at position {} is out of range for dim {} with extent {} (input shape {})", op, idx[i],
                 position_str(i, index.shape()), dim, extent, shape_str(x_shape));
  }
}

// A contiguous shape seen as [outer, extent, inner] around dim.
struct AroundDim {
  int64_t outer = 1, extent = 1, inner = 1;
};
AroundDim around(const Shape& shape, int64_t dim) {
  AroundDim g;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim) g.outer *= shape[d];
    else if (d == dim) g.extent = shape[d];
    else g.inner *= shape[d];
  }
  return g;
}

// body(line_offsets): every position of `shape` with coordinate `dim` at 0, as offsets under each stride set.
// Lines differ in a coordinate other than dim, so writes along different lines never touch the same element.
template <size_t N, class Body>
void for_each_line(const Shape& shape, int64_t dim, const std::array<Strides, N>& strides,
                   const std::array<int64_t, N>& bases, Body&& body) {
  const int64_t total = numel(shape);
  if (total == 0) return;
  const int64_t lines = total / shape[dim];
  const bool parallel = parallel_worth(lines, total);
  parallel_for(lines, parallel, [&](int64_t line) {
    std::array<int64_t, N> off = bases;
    int64_t rest = line;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (d == dim) continue;
      const int64_t i = rest % shape[d];
      rest /= shape[d];
      for (size_t k = 0; k < N; ++k) off[k] += i * strides[k][d];
    }
    body(off);
  });
}

// Checks shared by gather and scatter_add_: same rank, index within `other` outside dim.
void check_gather_shapes(const Tensor& x, const Tensor& index, int64_t dim, const char* op, const char* x_name) {
  ATTEND_CHECK(index.dim() == x.dim(), "{}: index must have the rank of {} ({}), got index shape {}, {} shape {}", op,
               x_name, x.dim(), shape_str(index.shape()), x_name, shape_str(x.shape()));
  for (int64_t d = 0; d < x.dim(); ++d) {
    ATTEND_CHECK(d == dim || index.size(d) <= x.size(d),
                 "{}: index.shape[{}] must not exceed {}.shape[{}] (got {} > {}); index shape {}, {} shape {}", op, d,
                 x_name, d, index.size(d), x.size(d), shape_str(index.shape()), x_name, shape_str(x.shape()));
  }
}

}  // namespace

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  ATTEND_CHECK(!xs.empty(), "concat: no tensors given");
  for (size_t k = 0; k < xs.size(); ++k) ATTEND_CHECK(xs[k].defined(), "concat: input {} is undefined", k);
  const Tensor& first = xs[0];
  ATTEND_CHECK(first.dim() >= 1, "concat: inputs must have at least 1 dim, got shape {}", shape_str(first.shape()));
  dim = normalize_dim(dim, first.dim(), "concat", first.shape());
  Shape out_shape = first.shape();
  out_shape[dim] = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    const Tensor& x = xs[k];
    ATTEND_CHECK(x.dtype() == first.dtype(), "concat: input {} is {} but input 0 is {} (shapes {} and {})", k,
                 dtype_name(x.dtype()), dtype_name(first.dtype()), shape_str(x.shape()), shape_str(first.shape()));
    bool same = x.dim() == first.dim();
    for (int64_t d = 0; same && d < x.dim(); ++d) same = d == dim || x.size(d) == first.size(d);
    ATTEND_CHECK(same, "concat: input {} has shape {} but input 0 has shape {} (all dims except dim {} must match)", k,
                 shape_str(x.shape()), shape_str(first.shape()), dim);
    out_shape[dim] += x.size(dim);
  }
  Tensor out = Tensor::empty(out_shape, first.dtype());
  int64_t start = 0;
  for (const Tensor& x : xs) {
    if (x.numel() > 0) out.narrow(dim, start, x.size(dim)).copy_(x);
    start += x.size(dim);
  }
  return out;
}

Tensor index_select(const Tensor& x_in, int64_t dim, const Tensor& index_in) {
  ATTEND_CHECK(x_in.defined(), "index_select: input is undefined");
  check_index(index_in, "index_select");
  ATTEND_CHECK(x_in.dim() >= 1, "index_select: input must have at least 1 dim, got shape {}", shape_str(x_in.shape()));
  ATTEND_CHECK(index_in.dim() == 1, "index_select: index must be 1-D, got shape {} (input shape {})",
               shape_str(index_in.shape()), shape_str(x_in.shape()));
  dim = normalize_dim(dim, x_in.dim(), "index_select", x_in.shape());
  const Tensor index = index_in.contiguous();
  check_range(index, x_in.size(dim), "index_select", dim, x_in.shape());
  const int64_t n = index.numel();
  Shape out_shape = x_in.shape();
  out_shape[dim] = n;
  Tensor out = Tensor::empty(out_shape, x_in.dtype());
  if (out.numel() == 0) return out;
  const Tensor x = x_in.contiguous();
  const AroundDim g = around(x.shape(), dim);
  const int64_t* idx = index.data<int64_t>();
  const size_t row_bytes = static_cast<size_t>(g.inner) * dtype_size(x.dtype());
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  // One memcpy per picked slice: for dim 0 of a [V, C] weight, one row per id (the embedding lookup).
  const int64_t rows = g.outer * n;
  const bool parallel = parallel_worth(rows, rows * g.inner);
  parallel_for(rows, parallel, [&](int64_t r) {
    const int64_t o = r / n, i = r % n;
    std::memcpy(dst + static_cast<size_t>(r) * row_bytes,
                src + static_cast<size_t>(o * g.extent + idx[i]) * row_bytes, row_bytes);
  });
  return out;
}

void index_add_(const Tensor& dst, int64_t dim, const Tensor& index_in, const Tensor& src_in) {
  ATTEND_CHECK(dst.defined() && src_in.defined(), "index_add_: dst or src is undefined");
  check_index(index_in, "index_add_");
  ATTEND_CHECK(index_in.dim() == 1, "index_add_: index must be 1-D, got shape {}", shape_str(index_in.shape()));
  ATTEND_CHECK(dst.dim() >= 1, "index_add_: dst must have at least 1 dim, got shape {}", shape_str(dst.shape()));
  ATTEND_CHECK(dst.is_contiguous(), "index_add_: dst must be contiguous (shape {})", shape_str(dst.shape()));
  ATTEND_CHECK(src_in.dtype() == dst.dtype(), "index_add_: src is {} but dst is {}", dtype_name(src_in.dtype()),
               dtype_name(dst.dtype()));
  dim = normalize_dim(dim, dst.dim(), "index_add_", dst.shape());
  Shape expected = dst.shape();
  expected[dim] = index_in.numel();
  ATTEND_CHECK(src_in.shape() == expected, "index_add_: src shape {} must be {} (dst shape {}, {} indices at dim {})",
               shape_str(src_in.shape()), shape_str(expected), shape_str(dst.shape()), index_in.numel(), dim);
  const Tensor index = index_in.contiguous();
  check_range(index, dst.size(dim), "index_add_", dim, dst.shape());
  const int64_t n = index.numel();
  if (n == 0 || dst.numel() == 0) return;
  const Tensor src = src_in.contiguous();
  const AroundDim g = around(dst.shape(), dim);
  const int64_t* idx = index.data<int64_t>();
  dispatch_floating(dst.dtype(), "index_add_", [&](auto tag) {
    using T = decltype(tag);
    T* d = dst.data<T>();
    const T* s = src.data<T>();
    // Work items are (outer slice, column block): each dst element belongs to one item, which adds the src rows in
    // increasing i, so the sums are the same for any thread count and any block size.
    const int64_t threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    const int64_t block = std::max<int64_t>(16, (g.inner + threads - 1) / threads);
    const int64_t blocks = (g.inner + block - 1) / block;
    const int64_t items = g.outer * blocks;
    const bool parallel = parallel_worth(items, g.outer * n * g.inner);
    parallel_for(items, parallel, [&](int64_t item) {
      const int64_t o = item / blocks;
      const int64_t c0 = (item % blocks) * block, c1 = std::min(g.inner, c0 + block);
      for (int64_t i = 0; i < n; ++i) {
        T* row = d + (o * g.extent + idx[i]) * g.inner;
        const T* add = s + (o * n + i) * g.inner;
        for (int64_t c = c0; c < c1; ++c) row[c] += add[c];
      }
    });
  });
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index_in) {
  ATTEND_CHECK(x.defined(), "gather: input is undefined");
  check_index(index_in, "gather");
  ATTEND_CHECK(x.dim() >= 1, "gather: input must have at least 1 dim, got shape {}", shape_str(x.shape()));
  dim = normalize_dim(dim, x.dim(), "gather", x.shape());
  check_gather_shapes(x, index_in, dim, "gather", "input");
  const Tensor index = index_in.contiguous();
  check_range(index, x.size(dim), "gather", dim, x.shape());
  Tensor out = Tensor::empty(index.shape(), x.dtype());
  if (out.numel() == 0) return out;
  dispatch_all(x.dtype(), "gather", [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(x.storage()->data());
    const int64_t* idx = index.data<int64_t>();
    T* dst = out.data<T>();
    const int64_t len = index.size(dim), step = index.stride(dim), xstep = x.stride(dim);
    for_each_line<2>(index.shape(), dim, {index.strides(), x.strides()}, {0, x.offset()}, [&](const auto& off) {
      for (int64_t j = 0; j < len; ++j) {
        const int64_t p = off[0] + j * step;
        dst[p] = src[off[1] + idx[p] * xstep];
      }
    });
  });
  return out;
}

void scatter_add_(const Tensor& dst, int64_t dim, const Tensor& index_in, const Tensor& src) {
  ATTEND_CHECK(dst.defined() && src.defined(), "scatter_add_: dst or src is undefined");
  check_index(index_in, "scatter_add_");
  ATTEND_CHECK(dst.dim() >= 1, "scatter_add_: dst must have at least 1 dim, got shape {}", shape_str(dst.shape()));
  ATTEND_CHECK(dst.is_contiguous(), "scatter_add_: dst must be contiguous (shape {})", shape_str(dst.shape()));
  ATTEND_CHECK(src.dtype() == dst.dtype(), "scatter_add_: src is {} but dst is {}", dtype_name(src.dtype()),
               dtype_name(dst.dtype()));
  dim = normalize_dim(dim, dst.dim(), "scatter_add_", dst.shape());
  check_gather_shapes(dst, index_in, dim, "scatter_add_", "dst");
  ATTEND_CHECK(src.dim() == index_in.dim(),
               "scatter_add_: src must have the rank of index, got src shape {}, index shape {}",
               shape_str(src.shape()), shape_str(index_in.shape()));
  for (int64_t d = 0; d < src.dim(); ++d) {
    ATTEND_CHECK(index_in.size(d) <= src.size(d),
                 "scatter_add_: index.shape[{}] must not exceed src.shape[{}]; index shape {}, src shape {}", d, d,
                 shape_str(index_in.shape()), shape_str(src.shape()));
  }
  const Tensor index = index_in.contiguous();
  check_range(index, dst.size(dim), "scatter_add_", dim, dst.shape());
  if (index.numel() == 0) return;
  dispatch_floating(dst.dtype(), "scatter_add_", [&](auto tag) {
    using T = decltype(tag);
    T* out = dst.data<T>();
    const T* s = static_cast<const T*>(src.storage()->data());
    const int64_t* idx = index.data<int64_t>();
    const int64_t len = index.size(dim), step = index.stride(dim), sstep = src.stride(dim), dstep = dst.stride(dim);
    // Each line owns the dst elements that share its coordinates outside dim; within a line, j runs in order.
    for_each_line<3>(index.shape(), dim, {index.strides(), src.strides(), dst.strides()}, {0, src.offset(), 0},
                     [&](const auto& off) {
                       for (int64_t j = 0; j < len; ++j) {
                         const int64_t p = off[0] + j * step;
                         out[off[2] + idx[p] * dstep] += s[off[1] + j * sstep];
                       }
                     });
  });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  ATTEND_CHECK(x.defined() && mask.defined(), "masked_fill: input or mask is undefined");
  ATTEND_CHECK(mask.dtype() == DType::u8, "masked_fill: mask must be u8, got {} with shape {} (input shape {})",
               dtype_name(mask.dtype()), shape_str(mask.shape()), shape_str(x.shape()));
  const bool fits = mask.dim() <= x.dim() && broadcast_shapes(mask.shape(), x.shape(), "masked_fill") == x.shape();
  ATTEND_CHECK(fits, "masked_fill: mask shape {} does not broadcast to input shape {}", shape_str(mask.shape()),
               shape_str(x.shape()));
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const Tensor m = mask.expand(x.shape());
  dispatch_all(x.dtype(), "masked_fill", [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(out.storage()->data());
    const T* in = static_cast<const T*>(x.storage()->data());
    const uint8_t* mk = static_cast<const uint8_t*>(m.storage()->data());
    const T fill = static_cast<T>(value);
    detail::for_each_row<3>(x.shape(), {out.strides(), x.strides(), m.strides()}, {0, x.offset(), m.offset()},
                            [&](const auto& off, int64_t n, const auto& st) {
                              for (int64_t i = 0; i < n; ++i) {
                                o[off[0] + i * st[0]] = mk[off[2] + i * st[2]] ? fill : in[off[1] + i * st[1]];
                              }
                            });
  });
  return out;
}

}  // namespace attend
