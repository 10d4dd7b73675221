// Views and joins: each forward, then its backward right below. A view's gradient is the inverse view of gy; a
// slice's gradient is gy placed into zeros of the input's shape.
#include "attend/ops/shape.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/indexing.hpp"

namespace attend {

namespace {

void check_defined(const Var& x, const char* op) { ATTEND_CHECK(x.defined(), "{}: input is undefined", op); }

// A slice [start, start + length) of dim (already normalised); the backward hands gy to the engine as the gradient
// of that slice (Grads::set_slice), which adds it into x's gradient in place.
Var slice(const Var& x, int64_t dim, int64_t start, int64_t length, const char* op) {
  return make_result(x.value().narrow(dim, start, length), {x},
                     [dim, start](const Tensor& gy, Grads& grads) { grads.set_slice(0, gy, dim, start); }, op);
}

// Consecutive slices of `size` (the last may be shorter) along dim d, each its own node named `op`.
std::vector<Var> pieces(const Var& x, int64_t d, int64_t size, const char* op) {
  std::vector<Var> out;
  for (int64_t start = 0; start < x.size(d); start += size) {
    out.push_back(slice(x, d, start, std::min(size, x.size(d) - start), op));
  }
  return out;
}

// Checks what the joins share: at least one input, all defined, one dtype.
void check_joinable(const std::vector<Var>& xs, const char* op) {
  ATTEND_CHECK(!xs.empty(), "{}: no inputs given", op);
  for (size_t k = 0; k < xs.size(); ++k) {
    ATTEND_CHECK(xs[k].defined(), "{}: input {} is undefined", op, k);
    ATTEND_CHECK(xs[k].dtype() == xs[0].dtype(), "{}: input {} is {} but input 0 is {} (shapes {} and {})", op, k,
                 dtype_name(xs[k].dtype()), dtype_name(xs[0].dtype()), shape_str(xs[k].shape()),
                 shape_str(xs[0].shape()));
  }
}

}  // namespace

// reshape: dx = gy reshaped to x's shape.
ATTEND_REGISTER_OP("reshape");
Var reshape(const Var& x, const Shape& shape) {
  check_defined(x, "reshape");
  return make_result(x.value().reshape(shape), {x}, [from = x.shape()](const Tensor& gy, Grads& grads) {
    grads[0] = gy.reshape(from);  // x's shape
  }, "reshape");
}

// transpose: dx = gyᵀ over the same two dims.
ATTEND_REGISTER_OP("transpose");
Var transpose(const Var& x, int64_t d0, int64_t d1) {
  check_defined(x, "transpose");
  return make_result(x.value().transpose(d0, d1), {x}, [d0, d1](const Tensor& gy, Grads& grads) {
    grads[0] = gy.transpose(d0, d1);  // x's shape
  }, "transpose");
}

// permute: dx = gy permuted by the inverse permutation.
ATTEND_REGISTER_OP("permute");
Var permute(const Var& x, const std::vector<int64_t>& dims) {
  check_defined(x, "permute");
  Tensor y = x.value().permute(dims);  // checks dims
  std::vector<int64_t> inverse(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    inverse[normalize_dim(dims[i], x.dim(), "permute", x.shape())] = static_cast<int64_t>(i);
  }
  return make_result(y, {x}, [inverse](const Tensor& gy, Grads& grads) {
    grads[0] = gy.permute(inverse);  // x's shape
  }, "permute");
}

// narrow: dx = gy at [start, start + length) of dim, zeros elsewhere (a slice gradient).
ATTEND_REGISTER_OP("narrow");
Var narrow(const Var& x, int64_t dim, int64_t start, int64_t length) {
  check_defined(x, "narrow");
  const int64_t d = normalize_dim(dim, x.dim(), "narrow", x.shape());
  ATTEND_CHECK(start >= 0 && length >= 0 && start <= x.size(d) - length,
               "narrow: [{}, {}) out of range for dim {} with extent {} (input shape {})", start, start + length, d,
               x.size(d), shape_str(x.shape()));
  return slice(x, d, start, length, "narrow");
}

// select: dx = gy at index i of dim, zeros elsewhere (a slice gradient).
ATTEND_REGISTER_OP("select");
Var select(const Var& x, int64_t dim, int64_t index) {
  check_defined(x, "select");
  const int64_t d = normalize_dim(dim, x.dim(), "select", x.shape());
  ATTEND_CHECK(index >= -x.size(d) && index < x.size(d),
               "select: index {} out of range for dim {} with extent {} (input shape {})", index, d, x.size(d),
               shape_str(x.shape()));
  const int64_t i = index < 0 ? index + x.size(d) : index;
  return make_result(x.value().select(d, i), {x}, [d, i](const Tensor& gy, Grads& grads) {
    grads.set_slice(0, gy.unsqueeze(d), d, i);  // the gradient of x.narrow(d, i, 1)
  }, "select");
}

// expand: dx = gy summed over the broadcast dims (the engine's sum_to does the sum).
ATTEND_REGISTER_OP("expand");
Var expand(const Var& x, const Shape& shape) {
  check_defined(x, "expand");
  return make_result(x.value().expand(shape), {x}, [](const Tensor& gy, Grads& grads) { grads[0] = gy; }, "expand");
}

// unsqueeze: dx = gy without the new dim.
ATTEND_REGISTER_OP("unsqueeze");
Var unsqueeze(const Var& x, int64_t dim) {
  check_defined(x, "unsqueeze");
  const int64_t d = normalize_dim(dim, x.dim() + 1, "unsqueeze", x.shape());
  return make_result(x.value().unsqueeze(d), {x}, [d](const Tensor& gy, Grads& grads) {
    grads[0] = gy.squeeze(d);  // x's shape
  }, "unsqueeze");
}

// squeeze: dx = gy with the extent-1 dim put back.
ATTEND_REGISTER_OP("squeeze");
Var squeeze(const Var& x, int64_t dim) {
  check_defined(x, "squeeze");
  const int64_t d = normalize_dim(dim, x.dim(), "squeeze", x.shape());
  return make_result(x.value().squeeze(d), {x}, [d](const Tensor& gy, Grads& grads) {
    grads[0] = gy.unsqueeze(d);  // x's shape
  }, "squeeze");
}

// concat: dx_k = the slice of gy that x_k filled (a view, no copy).
ATTEND_REGISTER_OP("concat");
Var concat(const std::vector<Var>& xs, int64_t dim) {
  check_joinable(xs, "concat");
  std::vector<Tensor> values;
  values.reserve(xs.size());
  for (const Var& x : xs) values.push_back(x.value());
  Tensor y = concat(values, dim);  // checks shapes
  const int64_t d = normalize_dim(dim, y.dim(), "concat", y.shape());
  std::vector<int64_t> sizes;
  for (const Var& x : xs) sizes.push_back(x.size(d));
  return make_result(y, xs, [d, sizes](const Tensor& gy, Grads& grads) {
    int64_t start = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (grads.needs(k)) grads[k] = gy.narrow(d, start, sizes[k]);  // x_k's shape
      start += sizes[k];
    }
  }, "concat");
}

// stack: dx_k = gy at index k of the new dim (a view).
ATTEND_REGISTER_OP("stack");
Var stack(const std::vector<Var>& xs, int64_t dim) {
  check_joinable(xs, "stack");
  const int64_t d = normalize_dim(dim, xs[0].dim() + 1, "stack", xs[0].shape());
  std::vector<Tensor> values;
  values.reserve(xs.size());
  for (size_t k = 0; k < xs.size(); ++k) {
    ATTEND_CHECK(xs[k].shape() == xs[0].shape(),
                 "stack: input {} has shape {} but input 0 has shape {} (all must match)", k,
                 shape_str(xs[k].shape()), shape_str(xs[0].shape()));
    values.push_back(xs[k].value().unsqueeze(d));  // [.., 1, ..]
  }
  return make_result(concat(values, d), xs, [d](const Tensor& gy, Grads& grads) {
    for (size_t k = 0; k < grads.slots.size(); ++k) {
      if (grads.needs(k)) grads[k] = gy.select(d, static_cast<int64_t>(k));  // x_k's shape
    }
  }, "stack");
}

// split: piece j = x[.., j·size : (j+1)·size, ..]; its gradient is gy placed into zeros of x's shape.
ATTEND_REGISTER_OP("split");
std::vector<Var> split(const Var& x, int64_t size, int64_t dim) {
  check_defined(x, "split");
  const int64_t d = normalize_dim(dim, x.dim(), "split", x.shape());
  ATTEND_CHECK(size > 0, "split: size must be positive, got {} (input shape {}, dim {})", size, shape_str(x.shape()),
               d);
  return pieces(x, d, size, "split");
}

// chunk: `chunks` pieces of ceil(extent / chunks) along dim (fewer when they run out), as torch.chunk.
ATTEND_REGISTER_OP("chunk");
std::vector<Var> chunk(const Var& x, int64_t chunks, int64_t dim) {
  check_defined(x, "chunk");
  ATTEND_CHECK(chunks > 0, "chunk: chunks must be positive, got {} (input shape {})", chunks, shape_str(x.shape()));
  const int64_t d = normalize_dim(dim, x.dim(), "chunk", x.shape());
  const int64_t extent = x.size(d);
  const int64_t size = (extent + chunks - 1) / chunks;
  return pieces(x, d, size, "chunk");
}

}  // namespace attend
