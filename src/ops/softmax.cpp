// Softmax and log_softmax on Var: each forward, then its backward right below (formulas in tensor/softmax).
#include "attend/ops/softmax.hpp"

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/softmax.hpp"

namespace attend {

// softmax: y = exp(x − max) / Σ exp(x − max); dx = y ⊙ (dy − Σ dy ⊙ y). All -inf rows: y = 0, dx = 0.
ATTEND_REGISTER_OP("softmax");
Var softmax(const Var& x, int64_t dim) {
  Tensor y = softmax(x.value(), dim);
  return make_result(y, {x}, [y, dim](const Tensor& g, Grads& grads) {
    grads[0] = softmax_backward(g, y, dim);
  }, "softmax");
}

// length_softmax: softmax over the first lengths[b] entries, 0 beyond; the backward is softmax's (y = 0 beyond).
ATTEND_REGISTER_OP("length_softmax");
Var length_softmax(const Var& x, const Tensor& lengths) {
  Tensor y = length_softmax(x.value(), lengths);
  return make_result(y, {x}, [y](const Tensor& g, Grads& grads) {
    grads[0] = softmax_backward(g, y, -1);
  }, "length_softmax");
}

// log_softmax: y = x − logsumexp(x); dx = dy − exp(y) Σ dy. All -inf rows: y = 0, dx = 0.
ATTEND_REGISTER_OP("log_softmax");
Var log_softmax(const Var& x, int64_t dim) {
  Tensor y = log_softmax(x.value(), dim);
  return make_result(y, {x}, [y, dim](const Tensor& g, Grads& grads) {
    grads[0] = log_softmax_backward(g, y, dim);
  }, "log_softmax");
}

}  // namespace attend
