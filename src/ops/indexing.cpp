// Index-driven ops: each forward, then its backward right below. Backward scatter-adds are deterministic (each
// gradient element is summed by one thread, in index order; see tensor/indexing.hpp).
#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/indexing.hpp"

namespace attend {

// index_select: dx = zeros with gy's slices added at the picked positions (repeated indices accumulate).
ATTEND_REGISTER_OP("index_select");
Var index_select(const Var& x, int64_t dim, const Tensor& index) {
  ATTEND_CHECK(x.defined(), "index_select: input is undefined");
  Tensor y = index_select(x.value(), dim, index);  // checks dtype, rank and range
  const int64_t d = normalize_dim(dim, x.dim(), "index_select", x.shape());
  return make_result(y, {x}, [shape = x.shape(), d, index = index.contiguous()](const Tensor& gy, Grads& grads) {
    Tensor g = Tensor::zeros(shape, gy.dtype());
    index_add_(g, d, index, gy);
    grads[0] = g;
  }, "index_select");
}

// gather: dx = zeros with gy scatter-added at the gathered positions.
ATTEND_REGISTER_OP("gather");
Var gather(const Var& x, int64_t dim, const Tensor& index) {
  ATTEND_CHECK(x.defined(), "gather: input is undefined");
  Tensor y = gather(x.value(), dim, index);  // checks dtype, ranks and range
  const int64_t d = normalize_dim(dim, x.dim(), "gather", x.shape());
  return make_result(y, {x}, [shape = x.shape(), d, index = index.contiguous()](const Tensor& gy, Grads& grads) {
    Tensor g = Tensor::zeros(shape, gy.dtype());
    scatter_add_(g, d, index, gy);
    grads[0] = g;
  }, "gather");
}

// masked_fill: dx = gy where the mask is 0, and 0 where it is 1 (filled elements do not depend on x).
ATTEND_REGISTER_OP("masked_fill");
Var masked_fill(const Var& x, const Tensor& mask, double value) {
  ATTEND_CHECK(x.defined(), "masked_fill: input is undefined");
  return make_result(masked_fill(x.value(), mask, value), {x}, [mask](const Tensor& gy, Grads& grads) {
    grads[0] = masked_fill(gy, mask, 0.0);
  }, "masked_fill");
}

// where: da = gy where cond, db = gy where not cond (each summed back to its input's shape by the engine).
ATTEND_REGISTER_OP("where");
Var where(const Tensor& cond, const Var& a, const Var& b) {
  ATTEND_CHECK(a.defined() && b.defined(), "where: a or b is undefined");
  ATTEND_CHECK(a.dtype() == b.dtype(), "where: a is {} but b is {}; a shape {}, b shape {}", dtype_name(a.dtype()),
               dtype_name(b.dtype()), shape_str(a.shape()), shape_str(b.shape()));
  return make_result(where(cond, a.value(), b.value()), {a, b}, [cond](const Tensor& gy, Grads& grads) {
    const Tensor zero = Tensor::zeros({}, gy.dtype());
    if (grads.needs(0)) grads[0] = where(cond, gy, zero);
    if (grads.needs(1)) grads[1] = where(cond, zero, gy);
  }, "where");
}

}  // namespace attend
