// Fused GRU and LSTM gate nonlinearities: each forward, then its backward right below. Every element is computed by
// one thread in one fixed order, so results do not depend on the thread count.
#include "attend/ops/recurrent_gates.hpp"

#include "attend/core/threads.hpp"

#include <omp.h>

#include <cmath>

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "recurrent_rows.hpp"

namespace attend {

namespace {

// Rows in parallel when there is enough work (each row by one thread: bitwise equal for any thread count).
bool parallel_rows(int64_t rows, int64_t width) { return parallel_worth(rows, rows * width); }

// Checks gx, gh [B, G·H] and state [B, H]; returns H.
int64_t check_gates(const char* op, int64_t gates, const Var& gx, const Var& gh, const Var& state, const char* name) {
  ATTEND_CHECK(gx.defined() && gh.defined() && state.defined(), "{}: gx, gh and {} must be defined", op, name);
  ATTEND_CHECK(state.dim() == 2, "{}: {} must be [B, H]; {} shape {}", op, name, name, shape_str(state.shape()));
  const int64_t batch = state.size(0), hidden = state.size(1);
  const Shape want{batch, gates * hidden};
  ATTEND_CHECK(gx.shape() == want, "{}: gx must be [B, {}·H] = {}; gx shape {}, {} shape {}", op, gates,
               shape_str(want), shape_str(gx.shape()), name, shape_str(state.shape()));
  ATTEND_CHECK(gh.shape() == want, "{}: gh must be [B, {}·H] = {}; gh shape {}, {} shape {}", op, gates,
               shape_str(want), shape_str(gh.shape()), name, shape_str(state.shape()));
  ATTEND_CHECK(gx.dtype() == gh.dtype() && gh.dtype() == state.dtype(),
               "{}: gx, gh and {} have different dtypes ({}, {}, {})", op, name, dtype_name(gx.dtype()),
               dtype_name(gh.dtype()), dtype_name(state.dtype()));
  return hidden;
}

}  // namespace

// gru_gates. Forward keeps r, z, n ([B, 3H]) for the backward. With g = dL/dh':
//   dh = g⊙z;  dz = g⊙(h − n);  dn = g⊙(1 − z)
//   n̂ = dn⊙(1 − n²)          -> d gx_n = n̂,  d gh_n = n̂⊙r
//   ẑ = dz⊙z(1 − z)          -> d gx_z = d gh_z = ẑ
//   r̂ = n̂⊙gh_n⊙r(1 − r)      -> d gx_r = d gh_r = r̂
ATTEND_REGISTER_OP("gru_gates");
Var gru_gates(const Var& gx_in, const Var& gh_in, const Var& h_in) {
  const int64_t H = check_gates("gru_gates", 3, gx_in, gh_in, h_in, "h"), B = h_in.size(0);
  const Tensor gx = gx_in.value().contiguous(), gh = gh_in.value().contiguous(), h = h_in.value().contiguous();
  Tensor out = Tensor::empty({B, H}, h.dtype());
  Tensor rzn = Tensor::empty({B, 3 * H}, h.dtype());  // saved r, z, n
  dispatch_floating(h.dtype(), "gru_gates", [&](auto tag) {
    using T = decltype(tag);
    const T *px = gx.data<T>(), *pg = gh.data<T>(), *ph = h.data<T>();
    T *po = out.data<T>(), *ps = rzn.data<T>();
    parallel_for(B, parallel_rows(B, H), [&](int64_t b) {
      detail::gru_forward_row<T>(H, px + b * 3 * H, pg + b * 3 * H, ph + b * H, ps + b * 3 * H, po + b * H, 0, H);
    });
  });
  return make_result(out, {gx_in, gh_in, h_in}, [gh, h, rzn, B, H](const Tensor& grad, Grads& grads) {
    const Tensor gy = grad.contiguous();
    Tensor dgx = Tensor::empty({B, 3 * H}, gy.dtype()), dgh = Tensor::empty({B, 3 * H}, gy.dtype());
    Tensor dh = Tensor::empty({B, H}, gy.dtype());
    dispatch_floating(gy.dtype(), "gru_gates_backward", [&](auto tag) {
      using T = decltype(tag);
      const T *pgy = gy.data<T>(), *pg = gh.data<T>(), *ph = h.data<T>(), *ps = rzn.data<T>();
      T *pdx = dgx.data<T>(), *pdg = dgh.data<T>(), *pdh = dh.data<T>();
      parallel_for(B, parallel_rows(B, H), [&](int64_t b) {
        detail::gru_backward_row<T>(H, pgy + b * H, pg + b * 3 * H, ph + b * H, ps + b * 3 * H, pdx + b * 3 * H,
                                    pdg + b * 3 * H, pdh + b * H, 0, H);
      });
    });
    grads[0] = dgx;
    grads[1] = dgh;
    grads[2] = dh;
  }, "gru_gates");
}

// lstm_gates. Forward keeps i, f, g, o and tanh(c') ([B, 5H]). With (dh', dc') the two halves of the gradient:
//   ĉ = dc' + dh'⊙o⊙(1 − tanh²c');  dc = ĉ⊙f
//   pre-activation gradients (the same for gx and gh): î = ĉ⊙g⊙i(1 − i), f̂ = ĉ⊙c⊙f(1 − f),
//   ĝ = ĉ⊙i⊙(1 − g²), ô = dh'⊙tanh(c')⊙o(1 − o)
ATTEND_REGISTER_OP("lstm_gates");
Var lstm_gates(const Var& gx_in, const Var& gh_in, const Var& c_in) {
  const int64_t H = check_gates("lstm_gates", 4, gx_in, gh_in, c_in, "c"), B = c_in.size(0);
  const Tensor gx = gx_in.value().contiguous(), gh = gh_in.value().contiguous(), c = c_in.value().contiguous();
  Tensor out = Tensor::empty({B, 2 * H}, c.dtype());
  Tensor saved = Tensor::empty({B, 5 * H}, c.dtype());  // i, f, g, o, tanh(c')
  dispatch_floating(c.dtype(), "lstm_gates", [&](auto tag) {
    using T = decltype(tag);
    const T *px = gx.data<T>(), *pg = gh.data<T>(), *pc = c.data<T>();
    T *po = out.data<T>(), *ps = saved.data<T>();
    parallel_for(B, parallel_rows(B, H), [&](int64_t b) {
      T* o = po + b * 2 * H;
      detail::lstm_forward_row<T>(H, px + b * 4 * H, pg + b * 4 * H, pc + b * H, ps + b * 5 * H, o, o + H, 0, H);
    });
  });
  return make_result(out, {gx_in, gh_in, c_in}, [c, saved, B, H](const Tensor& grad, Grads& grads) {
    const Tensor gy = grad.contiguous();
    Tensor dgates = Tensor::empty({B, 4 * H}, gy.dtype()), dc = Tensor::empty({B, H}, gy.dtype());
    dispatch_floating(gy.dtype(), "lstm_gates_backward", [&](auto tag) {
      using T = decltype(tag);
      const T *pgy = gy.data<T>(), *pc = c.data<T>(), *ps = saved.data<T>();
      T *pd = dgates.data<T>(), *pdc = dc.data<T>();
      parallel_for(B, parallel_rows(B, H), [&](int64_t b) {
        const T* gy_row = pgy + b * 2 * H;  // dh' | dc'
        detail::lstm_backward_row<T>(H, gy_row, gy_row + H, pc + b * H, ps + b * 5 * H, pd + b * 4 * H, pdc + b * H, 0,
                                     H);
      });
    });
    grads[0] = dgates;
    grads[1] = dgates;
    grads[2] = dc;
  }, "lstm_gates");
}

}  // namespace attend
