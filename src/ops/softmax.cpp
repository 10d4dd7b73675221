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

// log_softmax: y = x − logsumexp(x); dx = dy − exp(y) Σ dy. All -inf rows: y = 0, dx = 0.
ATTEND_REGISTER_OP("log_softmax");
Var log_softmax(const Var& x, int64_t dim) {
  Tensor y = log_softmax(x.value(), dim);
  return make_result(y, {x}, [y, dim](const Tensor& g, Grads& grads) {
    grads[0] = log_softmax_backward(g, y, dim);
  }, "log_softmax");
}

}  // namespace attend
