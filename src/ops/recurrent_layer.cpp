// gru_layer and lstm_layer (include/attend/ops/recurrent_layer.hpp): the forward time loop, then its backward right
// below. Both cells share the loops; a cell policy (GruCell, LstmCell) holds what differs: the saved buffers, the row
// kernels (recurrent_rows.hpp) and whether dL/dh_{t−1} has a direct part besides dĝ_t W_hh. Every element is computed
// by one thread in a fixed order and the GEMMs split by shape only, so results do not depend on the thread count.
#include "attend/ops/recurrent_layer.hpp"

#include <algorithm>
#include <string>
#include <type_traits>

#include "attend/autograd/node.hpp"
#include "attend/core/threads.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/kernels/row_gemm.hpp"
#include "attend/tensor/linalg.hpp"
#include "recurrent_rows.hpp"

namespace attend {

namespace {

std::string shape_of(const Var& v) { return v.defined() ? shape_str(v.shape()) : "(undefined)"; }

struct Dims {
  int64_t steps, batch, hidden, gates;
};

Dims check_layer(const char* op, int64_t gates, const Var& gx, const Var& w_hh, const Var& b_hh, const Var& h0,
                 const Var* c0, const std::vector<int64_t>& running) {
  ATTEND_CHECK(gx.defined() && gx.dim() == 3, "{}: gx must be [T, B, {}·H]; gx shape {}", op, gates, shape_of(gx));
  const int64_t steps = gx.size(0), batch = gx.size(1);
  ATTEND_CHECK(w_hh.defined() && w_hh.dim() == 2 && w_hh.size(0) == gates * w_hh.size(1) && w_hh.size(1) > 0,
               "{}: weight_hh must be [{}·H, H]; weight_hh shape {}", op, gates, shape_of(w_hh));
  const int64_t hidden = w_hh.size(1);
  ATTEND_CHECK(gx.size(2) == gates * hidden, "{}: gx must be [T, B, {}] ({}·H with H = {}); gx shape {}", op,
               gates * hidden, gates, hidden, shape_str(gx.shape()));
  ATTEND_CHECK(!b_hh.defined() || (b_hh.dim() == 1 && b_hh.size(0) == gates * hidden),
               "{}: bias_hh must be [{}]; bias_hh shape {}", op, gates * hidden, shape_of(b_hh));
  const Shape state{batch, hidden};
  ATTEND_CHECK(h0.defined() && h0.shape() == state, "{}: h0 must be [B, H] = {}; h0 shape {}, gx shape {}", op,
               shape_str(state), shape_of(h0), shape_str(gx.shape()));
  if (c0 != nullptr)
    ATTEND_CHECK(c0->defined() && c0->shape() == state, "{}: c0 must be [B, H] = {}; c0 shape {}, gx shape {}", op,
                 shape_str(state), shape_of(*c0), shape_str(gx.shape()));
  const DType dtype = gx.dtype();
  ATTEND_CHECK(w_hh.dtype() == dtype && h0.dtype() == dtype && (!b_hh.defined() || b_hh.dtype() == dtype) &&
                   (c0 == nullptr || c0->dtype() == dtype),
               "{}: gx, weight_hh, bias_hh and the initial state must have one "
               "dtype (gx is {})",
               op, dtype_name(dtype));
  ATTEND_CHECK(static_cast<int64_t>(running.size()) == steps,
               "{}: running must have one entry per time step (T = {}), got {}", op, steps, running.size());
  for (int64_t t = 0; t < steps; ++t) {
    ATTEND_CHECK(running[t] >= 0 && running[t] <= batch, "{}: running[{}] = {} must be in [0, B] with B = {}", op, t,
                 running[t], batch);
    ATTEND_CHECK(t == 0 || running[t] <= running[t - 1],
                 "{}: running must be non-increasing in t (the batch sorted "
                 "longest first); running[{}] = {} > "
                 "running[{}] = {}",
                 op, t, running[t], t - 1, running[t - 1]);
  }
  return {steps, batch, hidden, gates};
}

bool parallel_rows(int64_t rows, int64_t width) { return parallel_worth(rows, rows * width); }

// What the backward keeps, all indexed by time t: hprev [T, B, H] (h entering step t, for dW_hh and the GRU rows), gate
// buffers per cell. Undefined when no graph is recorded.
struct GruCell {
  static constexpr int64_t kGates = 3, kStates = 1;
  static constexpr const char* kName = "gru_layer";
  Tensor gh, rzn;  // [T, B, 3H]: h W_hhᵀ + b_hh and r, z, n

  void save(const Dims& d, DType dtype) {
    gh = Tensor::empty({d.steps, d.batch, 3 * d.hidden}, dtype);
    rzn = Tensor::empty({d.steps, d.batch, 3 * d.hidden}, dtype);
  }
};

struct LstmCell {
  static constexpr int64_t kGates = 4, kStates = 2;
  static constexpr const char* kName = "lstm_layer";
  Tensor cprev;  // [T, B, H]: c entering step t
  Tensor saved;  // [T, B, 5H]: i, f, g, o, tanh(c')

  void save(const Dims& d, DType dtype) {
    cprev = Tensor::empty({d.steps, d.batch, d.hidden}, dtype);
    saved = Tensor::empty({d.steps, d.batch, 5 * d.hidden}, dtype);
  }
};

int64_t time_of(int64_t s, int64_t steps, bool reverse) { return reverse ? steps - 1 - s : s; }

// W_hh packed for kernels::row_gemm (f32 only; undefined otherwise): transposed = true packs B = W_hhᵀ [H, G·H] for
// the forward's h W_hhᵀ, false B = W_hh [G·H, H] for the backward's dĝ W_hh. Once per layer call.
Tensor packed_weight(const Tensor& w_hh, bool transposed) {
  if (w_hh.dtype() != DType::f32) return Tensor();
  const int64_t rows = w_hh.size(0), cols = w_hh.size(1);  // [G·H, H]
  const int64_t K = transposed ? cols : rows, N = transposed ? rows : cols;
  Tensor out = Tensor::empty({kernels::row_gemm_packed_size(K, N)}, DType::f32);
  kernels::row_gemm_pack(K, N, w_hh.data<float>(), transposed ? 1 : cols, transposed ? cols : 1, out.data<float>());
  return out;
}

// gh[0, n) = h[0, n) W_hhᵀ + b_hh, gh and h contiguous rows of width G·H and H. f32 runs the row GEMM on the packed
// W_hhᵀ, f64 OpenBLAS on w_hh.
template <class T>
void hidden_projection(const Tensor& h, int64_t n, const Tensor& w_hh, const Tensor& packed, const Tensor& b_hh,
                       const Tensor& gh) {
  const int64_t width = gh.size(1), hidden = h.size(1);
  if (b_hh.defined()) {
    const T* bias = b_hh.data<T>();
    T* out = gh.data<T>();
    for (int64_t b = 0; b < n; ++b) std::copy(bias, bias + width, out + b * width);
  }
  if constexpr (std::is_same_v<T, float>) {
    kernels::row_gemm(n, width, hidden, h.data<float>(), hidden, packed.data<float>(), gh.data<float>(), width,
                      b_hh.defined());
  } else {
    gemm_into(h.narrow(0, 0, n), w_hh.transpose(0, 1), gh.narrow(0, 0, n), 1.0, b_hh.defined() ? 1.0 : 0.0);
  }
}

// dh[0, n) (+)= dg[0, n) W_hh: f32 through the row GEMM on the packed W_hh, f64 OpenBLAS.
template <class T>
void hidden_gradient(const Tensor& dg, int64_t n, const Tensor& w_hh, const Tensor& packed, const Tensor& dh,
                     bool accumulate) {
  const int64_t width = dg.size(1), hidden = dh.size(1);
  if constexpr (std::is_same_v<T, float>) {
    kernels::row_gemm(n, hidden, width, dg.data<float>(), width, packed.data<float>(), dh.data<float>(), hidden,
                      accumulate);
  } else {
    gemm_into(dg.narrow(0, 0, n), w_hh, dh.narrow(0, 0, n), 1.0, accumulate ? 1.0 : 0.0);
  }
}

// Σ over the rows of a contiguous [R, C] matrix -> [C], rows in order (one pass, vectorised along C).
Tensor column_sums(const Tensor& m) {
  const int64_t rows = m.size(0), cols = m.size(1);
  Tensor out = Tensor::zeros({cols}, m.dtype());
  dispatch_floating(m.dtype(), "column_sums", [&](auto tag) {
    using F = decltype(tag);
    const F* in = m.data<F>();
    F* __restrict acc = out.data<F>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) acc[j] += in[r * cols + j];
  });
  return out;
}

// The layer: inputs {gx, weight_hh, h0, (c0,) (bias_hh)}.
template <class Cell>
Var run_layer(const Var& gx_in, const Var& w_in, const Var& b_in, const Var& h0_in, const Var* c0_in,
              const std::vector<int64_t>& running, bool reverse) {
  constexpr bool kLstm = Cell::kStates == 2;
  const Dims d = check_layer(Cell::kName, Cell::kGates, gx_in, w_in, b_in, h0_in, c0_in, running);
  const int64_t T = d.steps, B = d.batch, H = d.hidden, GH = Cell::kGates * H;
  const DType dtype = gx_in.dtype();
  const Tensor gx = gx_in.value().contiguous(), w_hh = w_in.value().contiguous(),
               b_hh = b_in.defined() ? b_in.value().contiguous() : Tensor();
  const Tensor w_hh_t = packed_weight(w_hh, true);  // W_hhᵀ for the row GEMM
  std::vector<Var> inputs{gx_in, w_in, h0_in};
  if (kLstm) inputs.push_back(*c0_in);
  if (b_in.defined()) inputs.push_back(b_in);
  const bool record =
      grad_enabled() && std::any_of(inputs.begin(), inputs.end(), [](const Var& v) { return v.requires_grad(); });

  Tensor out = Tensor::empty({T + Cell::kStates, B, H}, dtype);                    // outputs, h_n (, c_n)
  const Tensor h = out.select(0, T), c = kLstm ? out.select(0, T + 1) : Tensor();  // the running state [B, H]
  h.copy_(h0_in.value());
  if (kLstm) c.copy_(c0_in->value());
  Cell cell;
  Tensor hprev;
  if (record) {
    cell.save(d, dtype);
    hprev = Tensor::empty({T, B, H}, dtype);
  }
  // Without a graph, one step's buffers are reused. The rows write the new h into y, then it is copied into h.
  const Tensor c_in = record || !kLstm ? Tensor() : Tensor::empty({B, H}, dtype);
  const Tensor step_gh = record && !kLstm ? Tensor() : Tensor::empty({B, GH}, dtype);
  Tensor step_saved;
  if (!record) step_saved = Tensor::empty({B, kLstm ? 5 * H : 3 * H}, dtype);

  dispatch_floating(dtype, Cell::kName, [&](auto tag) {
    using F = decltype(tag);
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = time_of(s, T, reverse), n = running[t];
      const Tensor y = out.select(0, t);  // [B, H]
      F* py = y.data<F>();
      std::fill(py + n * H, py + B * H, F{0});
      if (n == 0) continue;
      if (record) hprev.select(0, t).copy_(h);  // h entering the step
      Tensor gh = step_gh;                      // [B, G·H]
      if constexpr (!kLstm) {
        if (record) gh = cell.gh.select(0, t);
      }
      hidden_projection<F>(h, n, w_hh, w_hh_t, b_hh, gh);
      const F *px = gx.data<F>() + t * B * GH, *pg = gh.data<F>();
      F* ph = h.data<F>();
      if constexpr (kLstm) {
        const Tensor c_before = record ? cell.cprev.select(0, t) : c_in;  // c entering the step
        c_before.copy_(c);
        F* ps = (record ? cell.saved.select(0, t) : step_saved).template data<F>();
        const F* pc = c_before.data<F>();
        F* pcn = c.data<F>();
        parallel_for(n, parallel_rows(n, GH), [&](int64_t b) {
          detail::lstm_forward_row<F>(H, px + b * GH, pg + b * GH, pc + b * H, ps + b * 5 * H, py + b * H, pcn + b * H);
        });
      } else {
        F* ps = (record ? cell.rzn.select(0, t) : step_saved).template data<F>();
        parallel_for(n, parallel_rows(n, GH), [&](int64_t b) {
          detail::gru_forward_row<F>(H, px + b * GH, pg + b * GH, ph + b * H, ps + b * GH, py + b * H);
        });
      }
      std::copy(py, py + n * H, ph);  // the new state of the running rows
    }
  });
  if (!record) return Var(out);

  return make_result(
      out, inputs,
      [cell, hprev, w_hh, running, reverse, T, B, H, GH, has_bias = b_in.defined()](const Tensor& grad, Grads& grads) {
        const Tensor g = grad.contiguous();        // [T + states, B, H]
        const Tensor w_packed = packed_weight(w_hh, false);
        const Tensor dh = g.select(0, T).clone();  // dL/dh flowing into the state, [B, H]
        const Tensor dc = kLstm ? g.select(0, T + 1).clone() : Tensor();
        // the pre-activation gradients of gh (rows not running: 0)
        const Tensor dgh = Tensor::zeros({T, B, GH}, g.dtype());
        const Tensor dgx = kLstm ? dgh : Tensor::zeros({T, B, GH}, g.dtype());
        const Tensor gy = Tensor::empty({B, kLstm ? 2 * H : H}, g.dtype());  // dL/dh' (| dL/dc') of one step
        dispatch_floating(g.dtype(), Cell::kName, [&](auto tag) {
          using F = decltype(tag);
          F *pdh = dh.data<F>(), *py = gy.data<F>();
          for (int64_t s = T - 1; s >= 0; --s) {
            const int64_t t = time_of(s, T, reverse), n = running[t];
            if (n == 0) continue;
            const F* pout = g.data<F>() + t * B * H;
            F *pdg = dgh.data<F>() + t * B * GH, *pdx = dgx.data<F>() + t * B * GH;
            if constexpr (kLstm) {
              const F *pc = cell.cprev.template data<F>() + t * B * H,
                      *ps = cell.saved.template data<F>() + t * B * 5 * H;
              F* pdc = dc.data<F>();
              parallel_for(n, parallel_rows(n, GH), [&](int64_t b) {
                F* row = py + b * 2 * H;
                for (int64_t j = 0; j < H; ++j) row[j] = pout[b * H + j] + pdh[b * H + j];
                std::copy(pdc + b * H, pdc + (b + 1) * H, row + H);
                detail::lstm_backward_row<F>(H, row, row + H, pc + b * H, ps + b * 5 * H, pdg + b * GH, pdc + b * H);
              });
            } else {
              const F *pg = cell.gh.template data<F>() + t * B * GH, *pr = cell.rzn.template data<F>() + t * B * GH;
              const F* pb = hprev.data<F>() + t * B * H;
              parallel_for(n, parallel_rows(n, GH), [&](int64_t b) {
                F* row = py + b * H;
                for (int64_t j = 0; j < H; ++j) row[j] = pout[b * H + j] + pdh[b * H + j];
                detail::gru_backward_row<F>(H, row, pg + b * GH, pb + b * H, pr + b * GH, pdx + b * GH, pdg + b * GH,
                                            pdh + b * H);
              });
            }
            // dL/dh_{t−1} of the running rows: dĝ_t W_hh (+ the GRU's direct part, already in dh)
            hidden_gradient<F>(dgh.select(0, t), n, w_hh, w_packed, dh, !kLstm);
          }
        });
        const Tensor dg_rows = dgh.view({T * B, GH});
        if (grads.needs(0)) grads[0] = dgx;
        if (grads.needs(1)) {  // dW_hh [G·H, H] = Σ_t dĝ_tᵀ h_{t−1}: one GEMM with inner dimension T·B
          Tensor dw = Tensor::empty({GH, H}, g.dtype());
          gemm_into(dg_rows.transpose(0, 1), hprev.view({T * B, H}), dw);
          grads[1] = dw;
        }
        grads[2] = dh;
        if (kLstm) grads[3] = dc;
        const size_t bias_slot = kLstm ? 4 : 3;
        if (has_bias && grads.needs(bias_slot)) grads[bias_slot] = column_sums(dg_rows);
      },
      Cell::kName);
}

}  // namespace

ATTEND_REGISTER_OP("gru_layer");
Var gru_layer(const Var& gx, const Var& weight_hh, const Var& bias_hh, const Var& h0,
              const std::vector<int64_t>& running, bool reverse) {
  return run_layer<GruCell>(gx, weight_hh, bias_hh, h0, nullptr, running, reverse);
}

ATTEND_REGISTER_OP("lstm_layer");
Var lstm_layer(const Var& gx, const Var& weight_hh, const Var& bias_hh, const Var& h0, const Var& c0,
               const std::vector<int64_t>& running, bool reverse) {
  return run_layer<LstmCell>(gx, weight_hh, bias_hh, h0, &c0, running, reverse);
}

}  // namespace attend
