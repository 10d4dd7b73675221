// Reductions: each forward, then its backward right below. The no-grad math is in tensor/reduce.
#include "attend/ops/reduction.hpp"

#include <cmath>
#include <limits>

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/map.hpp"
#include "attend/tensor/reduce.hpp"

namespace attend {

namespace {

// Which dims of x a reduction over `dims` removes (empty dims: all). Checks range and repeats, naming `op`.
std::vector<bool> reduced_mask(const Var& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<bool> mask(x.dim(), dims.empty());
  for (int64_t d : dims) {
    const int64_t n = normalize_dim(d, x.dim(), op, x.shape());
    if (x.dim() == 0) continue;  // a 0-d tensor accepts dim 0 / -1 and reduces to itself
    ATTEND_CHECK(!mask[n], "{}: dim {} listed twice (shape {})", op, n, shape_str(x.shape()));
    mask[n] = true;
  }
  return mask;
}

// The dims as the no-grad reductions take them: {} means every dim, which is also right for a 0-d tensor.
std::vector<int64_t> dims_for_tensor(const Var& x, const std::vector<int64_t>& dims) {
  return x.dim() == 0 ? std::vector<int64_t>{} : dims;
}

// A reduction's output (or its gradient) viewed with the reduced dims back as extent 1, so it broadcasts against x.
Tensor with_kept_dims(const Tensor& t, const std::vector<bool>& mask, bool keepdim) {
  if (keepdim) return t;
  Tensor out = t;
  for (size_t d = 0; d < mask.size(); ++d) {
    if (mask[d]) out = out.unsqueeze(static_cast<int64_t>(d));
  }
  return out;
}

int64_t reduced_count(const Shape& shape, const std::vector<bool>& mask) {
  int64_t n = 1;
  for (size_t d = 0; d < mask.size(); ++d) {
    if (mask[d]) n *= shape[d];
  }
  return n;
}

}  // namespace

// sum: dy/dx = 1 for every reduced element (the gradient is broadcast back over the reduced dims).
ATTEND_REGISTER_OP("sum");
Var sum(const Var& x, const std::vector<int64_t>& dims, bool keepdim) {
  const std::vector<bool> mask = reduced_mask(x, dims, "sum");
  Tensor y = sum(x.value(), dims_for_tensor(x, dims), keepdim);
  return make_result(y, {x}, [mask, keepdim, shape = x.shape()](const Tensor& g, Grads& grads) {
    grads[0] = with_kept_dims(g, mask, keepdim).expand(shape).contiguous();
  }, "sum");
}

Var sum(const Var& x) { return sum(x, {}, false); }

// mean: dy/dx = 1 / count, count = number of elements reduced into each output.
ATTEND_REGISTER_OP("mean");
Var mean(const Var& x, const std::vector<int64_t>& dims, bool keepdim) {
  const std::vector<bool> mask = reduced_mask(x, dims, "mean");
  Tensor y = mean(x.value(), dims_for_tensor(x, dims), keepdim);
  const double scale = 1.0 / static_cast<double>(reduced_count(x.shape(), mask));
  return make_result(y, {x}, [mask, keepdim, scale, shape = x.shape()](const Tensor& g, Grads& grads) {
    grads[0] = mul(with_kept_dims(g, mask, keepdim).expand(shape), scale);
  }, "mean");
}

Var mean(const Var& x) { return mean(x, {}, false); }

// max: y = x[argmax]; dy/dx = 1 at the first index holding the max along dim, 0 elsewhere.
ATTEND_REGISTER_OP("max");
Var max(const Var& x, int64_t dim, bool keepdim) {
  ATTEND_CHECK(is_floating(x.dtype()), "max: expected a floating tensor (f32 or f64), got {} with shape {}",
               dtype_name(x.dtype()), shape_str(x.shape()));
  const int64_t d = normalize_dim(dim, x.dim(), "max", x.shape());
  const Tensor v = x.dim() == 0 ? x.value().reshape({1}) : x.value();
  ATTEND_CHECK(v.size(d) > 0, "max: dim {} has extent 0, there is no maximum (shape {})", d, shape_str(x.shape()));
  Tensor y = amax(v, {d}, keepdim && x.dim() > 0);
  // [outer * inner], outer = prod(shape[:d]), inner = prod(shape[d+1:])
  Tensor index = argmax(v, d, false).contiguous();
  if (x.dim() == 0) y = y.reshape({});
  return make_result(y, {x}, [index, d, shape = x.shape(), vshape = v.shape()](const Tensor& g, Grads& grads) {
    const int64_t extent = vshape[d];
    int64_t inner = 1;
    for (size_t k = static_cast<size_t>(d) + 1; k < vshape.size(); ++k) inner *= vshape[k];
    const int64_t outer = index.numel() / (inner > 0 ? inner : 1);
    Tensor gx = Tensor::zeros(vshape, g.dtype());
    const Tensor gc = g.contiguous();  // [outer * inner] in the same order as index
    const int64_t* at = index.data<int64_t>();
    dispatch_floating(g.dtype(), "max_backward", [&](auto tag) {
      using T = decltype(tag);
      const T* src = gc.data<T>();
      T* dst = gx.data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) dst[(o * extent + at[o * inner + i]) * inner + i] = src[o * inner + i];
      }
    });
    grads[0] = gx.reshape(shape);
  }, "max");
}

// logsumexp: y = log Σ exp(x); dy/dx = exp(x − y) = softmax(x) over the reduced dims; 0 where y = -inf.
ATTEND_REGISTER_OP("logsumexp");
Var logsumexp(const Var& x, const std::vector<int64_t>& dims, bool keepdim) {
  const std::vector<bool> mask = reduced_mask(x, dims, "logsumexp");
  Tensor y = logsumexp(x.value(), dims_for_tensor(x, dims), keepdim);
  return make_result(y, {x}, [mask, keepdim, x = x.value(), y](const Tensor& g, Grads& grads) {
    const Tensor gk = with_kept_dims(g, mask, keepdim);
    const Tensor yk = with_kept_dims(y, mask, keepdim);
    grads[0] = map(gk, x, yk, [](auto gv, auto xv, auto yv) {
      using T = decltype(xv);
      if (yv == -std::numeric_limits<T>::infinity()) return T{0};  // an all -inf slice: constant, gradient 0
      return static_cast<T>(gv * std::exp(xv - yv));
    }, "logsumexp_backward");
  }, "logsumexp");
}

}  // namespace attend
