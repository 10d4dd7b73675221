// gru_layer and lstm_layer (include/attend/ops/recurrent_layer.hpp): the forward time loop of one direction, then its
// backward right below; run_layer runs the D directions, side by side on two threads when it can. Both cells share
// the loops; a cell policy (GruCell, LstmCell) holds what differs: the saved buffers, the row kernels
// (recurrent_rows.hpp) and whether dL/dh_{t−1} has a direct part besides dĝ_t W_hh. Every element is computed by one
// thread in a fixed order and the GEMMs split by shape only (inside the two-direction region they run serially), so
// results do not depend on the thread count.
#include "attend/ops/recurrent_layer.hpp"

#include <omp.h>

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
  int64_t steps, batch, hidden, gates, dirs;
};

Dims check_layer(const char* op, int64_t gates, const Var& gx, const std::vector<Var>& w_hh,
                 const std::vector<Var>& b_hh, const std::vector<Var>& h0, const std::vector<Var>* c0,
                 const std::vector<int64_t>& running) {
  const int64_t dirs = static_cast<int64_t>(w_hh.size());
  ATTEND_CHECK(dirs == 1 || dirs == 2, "{}: weight_hh must hold 1 or 2 directions, got {}", op, dirs);
  for (int64_t d = 0; d < dirs; ++d) {
    const Var& w = w_hh[d];
    ATTEND_CHECK(w.defined() && w.dim() == 2 && w.size(0) == gates * w.size(1) && w.size(1) > 0,
                 "{}: weight_hh[{}] must be [{}·H, H]; weight_hh[{}] shape {}", op, d, gates, d, shape_of(w));
    ATTEND_CHECK(w.shape() == w_hh[0].shape(), "{}: the directions' weight_hh differ in shape ({} and {})", op,
                 shape_str(w_hh[0].shape()), shape_str(w.shape()));
  }
  const int64_t hidden = w_hh[0].size(1);
  ATTEND_CHECK(gx.defined() && gx.dim() == 3 && gx.size(2) == dirs * gates * hidden,
               "{}: gx must be [T, B, {}] (D·{}·H with D = {}, H = {}); gx shape {}", op, dirs * gates * hidden, gates,
               dirs, hidden, shape_of(gx));
  const int64_t steps = gx.size(0), batch = gx.size(1);
  ATTEND_CHECK(b_hh.empty() || static_cast<int64_t>(b_hh.size()) == dirs,
               "{}: bias_hh must be empty or hold one bias per direction ({}), got {}", op, dirs, b_hh.size());
  for (size_t d = 0; d < b_hh.size(); ++d)
    ATTEND_CHECK(b_hh[d].defined() && b_hh[d].dim() == 1 && b_hh[d].size(0) == gates * hidden,
                 "{}: bias_hh[{}] must be [{}]; bias_hh[{}] shape {}", op, d, gates * hidden, d, shape_of(b_hh[d]));
  const Shape state{batch, hidden};
  auto check_states = [&](const std::vector<Var>& s, const char* name) {
    ATTEND_CHECK(static_cast<int64_t>(s.size()) == dirs, "{}: {} must hold one state per direction ({}), got {}", op,
                 name, dirs, s.size());
    for (size_t d = 0; d < s.size(); ++d)
      ATTEND_CHECK(s[d].defined() && s[d].shape() == state, "{}: {}[{}] must be [B, H] = {}; {}[{}] shape {}, gx shape {}",
                   op, name, d, shape_str(state), name, d, shape_of(s[d]), shape_str(gx.shape()));
  };
  check_states(h0, "h0");
  if (c0 != nullptr) check_states(*c0, "c0");
  const DType dtype = gx.dtype();
  auto same = [&](const std::vector<Var>& vs) {
    return std::all_of(vs.begin(), vs.end(), [&](const Var& v) { return v.dtype() == dtype; });
  };
  ATTEND_CHECK(same(w_hh) && same(b_hh) && same(h0) && (c0 == nullptr || same(*c0)),
               "{}: gx, weight_hh, bias_hh and the initial states must have one dtype (gx is {})", op,
               dtype_name(dtype));
  ATTEND_CHECK(static_cast<int64_t>(running.size()) == steps,
               "{}: running must have one entry per time step (T = {}), got {}", op, steps, running.size());
  for (int64_t t = 0; t < steps; ++t) {
    ATTEND_CHECK(running[t] >= 0 && running[t] <= batch, "{}: running[{}] = {} must be in [0, B] with B = {}", op, t,
                 running[t], batch);
    ATTEND_CHECK(t == 0 || running[t] <= running[t - 1],
                 "{}: running must be non-increasing in t (the batch sorted longest first); running[{}] = {} > "
                 "running[{}] = {}",
                 op, t, running[t], t - 1, running[t - 1]);
  }
  return {steps, batch, hidden, gates, dirs};
}

bool parallel_rows(int64_t rows, int64_t width) { return parallel_worth(rows, rows * width); }

// Runs body(d) for the directions: on two threads when there are two and the pool has them (each direction then runs
// its GEMMs and rows serially: the same computation as on one thread).
template <class Body>
void for_directions(int64_t dirs, Body&& body) {
  if (dirs == 2 && num_threads() >= 2 && !omp_in_parallel()) {
#pragma omp parallel for num_threads(2) schedule(static, 1)
    for (int64_t d = 0; d < 2; ++d) body(d);
  } else {
    for (int64_t d = 0; d < dirs; ++d) body(d);
  }
}

// What one direction's backward keeps, indexed by time t (undefined when no graph is recorded): hprev [T, B, H] (h
// entering step t, for dW_hh and the GRU rows) and the gate buffers of the cell.
struct GruCell {
  static constexpr int64_t kGates = 3, kStates = 1;
  static constexpr const char* kName = "gru_layer";
  Tensor hprev;
  Tensor gh;   // [T, B, 3H]: h W_hhᵀ + b_hh
  Tensor rzn;  // [T, B, 3H]: r, z, n

  void save(const Dims& d, DType dtype) {
    hprev = Tensor::empty({d.steps, d.batch, d.hidden}, dtype);
    gh = Tensor::empty({d.steps, d.batch, 3 * d.hidden}, dtype);
    rzn = Tensor::empty({d.steps, d.batch, 3 * d.hidden}, dtype);
  }
};

struct LstmCell {
  static constexpr int64_t kGates = 4, kStates = 2;
  static constexpr const char* kName = "lstm_layer";
  Tensor hprev;
  Tensor cprev;  // [T, B, H]: c entering step t
  Tensor saved;  // [T, B, 5H]: i, f, g, o, tanh(c')

  void save(const Dims& d, DType dtype) {
    hprev = Tensor::empty({d.steps, d.batch, d.hidden}, dtype);
    cprev = Tensor::empty({d.steps, d.batch, d.hidden}, dtype);
    saved = Tensor::empty({d.steps, d.batch, 5 * d.hidden}, dtype);
  }
};

// Direction 1 runs backwards in time.
int64_t time_of(int64_t s, int64_t steps, int64_t dir) { return dir == 1 ? steps - 1 - s : s; }

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

// c[0, n) (+)= a[0, n) · B for 2-D views a [·, K] and c [·, N] with unit column stride: f32 through the row GEMM on
// the packed B, f64 OpenBLAS on b (B itself, a view).
template <class T>
void step_gemm(const Tensor& a, int64_t n, const Tensor& b, const Tensor& packed, const Tensor& c, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    kernels::row_gemm(n, c.size(1), a.size(1), a.data<float>(), a.stride(0), packed.data<float>(), c.data<float>(),
                      c.stride(0), accumulate);
  } else {
    gemm_into(a.narrow(0, 0, n), b, c.narrow(0, 0, n), 1.0, accumulate ? 1.0 : 0.0);
  }
}

// Copies rows [0, n) of width w between row-strided buffers.
template <class T>
void copy_rows(int64_t n, int64_t w, const T* src, int64_t ls, T* dst, int64_t ld) {
  for (int64_t r = 0; r < n; ++r) std::copy(src + r * ls, src + r * ls + w, dst + r * ld);
}

// Σ over the rows of a [R, C] matrix with row stride ld -> [C], rows in order (one pass, vectorised along C).
Tensor column_sums(const Tensor& m, int64_t rows, int64_t cols, int64_t ld, int64_t offset) {
  Tensor out = Tensor::zeros({cols}, m.dtype());
  dispatch_floating(m.dtype(), "column_sums", [&](auto tag) {
    using F = decltype(tag);
    const F* in = m.data<F>() + offset;
    F* __restrict acc = out.data<F>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) acc[j] += in[r * ld + j];
  });
  return out;
}

// One direction's tensors. Layouts: gx [T, B, D·G·H] and the result out [T + states, B, D·H] hold direction d at
// columns d·G·H and d·H; the running state lives in out's rows T (h) and T + 1 (c).
struct Direction {
  int64_t d = 0;
  Tensor w_hh, b_hh, packed;  // [G·H, H], [G·H] or undefined, W_hh packed for the step GEMM
};

// The forward of direction dir.d: writes its columns of out (outputs, h_n, c_n); fills cell when recording.
template <class Cell, class F>
void forward_direction(const Dims& dm, const Tensor& gx, const Tensor& out, const Direction& dir,
                       const std::vector<int64_t>& running, bool record, Cell& cell) {
  constexpr bool kLstm = Cell::kStates == 2;
  const int64_t T = dm.steps, B = dm.batch, H = dm.hidden, GH = Cell::kGates * H, ld = dm.dirs * H;
  const DType dtype = gx.dtype();
  const Tensor h = out.select(0, T).narrow(1, dir.d * H, H);  // [B, H], row stride D·H
  F* ph = h.data<F>();
  F* pc = kLstm ? out.select(0, T + 1).narrow(1, dir.d * H, H).data<F>() : nullptr;
  // Without a graph, one step's buffers are reused.
  const Tensor step_gh = record && !kLstm ? Tensor() : Tensor::empty({B, GH}, dtype);
  const Tensor step_saved = record ? Tensor() : Tensor::empty({B, kLstm ? 5 * H : 3 * H}, dtype);
  const Tensor step_c = record || !kLstm ? Tensor() : Tensor::empty({B, H}, dtype);
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = time_of(s, T, dir.d), n = running[t];
    F* py = out.select(0, t).data<F>() + dir.d * H;  // row b at py + b·ld
    for (int64_t b = n; b < B; ++b) std::fill(py + b * ld, py + b * ld + H, F{0});
    if (n == 0) continue;
    if (record) copy_rows<F>(B, H, ph, ld, cell.hprev.select(0, t).template data<F>(), H);  // h entering the step
    Tensor gh = step_gh;                                                                    // [B, G·H]
    if constexpr (!kLstm) {
      if (record) gh = cell.gh.select(0, t);
    }
    F* pg = gh.data<F>();
    if (dir.b_hh.defined())
      for (int64_t b = 0; b < n; ++b) std::copy(dir.b_hh.data<F>(), dir.b_hh.data<F>() + GH, pg + b * GH);
    step_gemm<F>(h, n, dir.w_hh.transpose(0, 1), dir.packed, gh, dir.b_hh.defined());  // gh += h W_hhᵀ
    const F* px = gx.data<F>() + t * B * dm.dirs * GH + dir.d * GH;                    // row b at px + b·D·G·H
    const int64_t lx = dm.dirs * GH;
    if constexpr (kLstm) {
      F* c_in = (record ? cell.cprev.select(0, t) : step_c).template data<F>();  // c entering the step
      copy_rows<F>(B, H, pc, ld, c_in, H);
      F* ps = (record ? cell.saved.select(0, t) : step_saved).template data<F>();
      parallel_for(n, parallel_rows(n, GH), [&](int64_t b) {
        detail::lstm_forward_row<F>(H, px + b * lx, pg + b * GH, c_in + b * H, ps + b * 5 * H, py + b * ld,
                                    pc + b * ld);
      });
    } else {
      F* ps = (record ? cell.rzn.select(0, t) : step_saved).template data<F>();
      parallel_for(n, parallel_rows(n, GH), [&](int64_t b) {
        detail::gru_forward_row<F>(H, px + b * lx, pg + b * GH, ph + b * ld, ps + b * GH, py + b * ld);
      });
    }
    copy_rows<F>(n, H, py, ld, ph, ld);  // the new state of the running rows
  }
}

// The backward of direction dir.d through time: dg (its columns of [T, B, D·G·H], zero where a row is not running)
// gets the pre-activation gradients of gh, dgx (the GRU's separate gx gradients; for LSTM dgx is dg) those of gx;
// dh and dc ([B, H]) start as dL/dh_n, dL/dc_n and end as dL/dh0, dL/dc0.
template <class Cell, class F>
void backward_direction(const Dims& dm, const Tensor& g, const Direction& dir, const std::vector<int64_t>& running,
                        const Cell& cell, const Tensor& dg, const Tensor& dgx, const Tensor& dh, const Tensor& dc) {
  constexpr bool kLstm = Cell::kStates == 2;
  const int64_t T = dm.steps, B = dm.batch, H = dm.hidden, GH = Cell::kGates * H, ld = dm.dirs * H,
                lg = dm.dirs * GH;
  const Tensor gy = Tensor::empty({B, kLstm ? 2 * H : H}, g.dtype());  // dL/dh' (| dL/dc') of one step
  F *pdh = dh.data<F>(), *py = gy.data<F>();
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = time_of(s, T, dir.d), n = running[t];
    if (n == 0) continue;
    const F* pout = g.data<F>() + t * B * ld + dir.d * H;  // dL/dy_t, row b at pout + b·ld
    const Tensor dg_t = dg.select(0, t).narrow(1, dir.d * GH, GH);  // [B, G·H], row stride D·G·H
    F *pdg = dg_t.data<F>(), *pdx = dgx.data<F>() + t * B * lg + dir.d * GH;
    if constexpr (kLstm) {
      const F *pc = cell.cprev.template data<F>() + t * B * H, *ps = cell.saved.template data<F>() + t * B * 5 * H;
      F* pdc = dc.data<F>();
      parallel_for(n, parallel_rows(n, GH), [&](int64_t b) {
        F* row = py + b * 2 * H;
        for (int64_t j = 0; j < H; ++j) row[j] = pout[b * ld + j] + pdh[b * H + j];
        std::copy(pdc + b * H, pdc + (b + 1) * H, row + H);
        detail::lstm_backward_row<F>(H, row, row + H, pc + b * H, ps + b * 5 * H, pdg + b * lg, pdc + b * H);
      });
    } else {
      const F *pg = cell.gh.template data<F>() + t * B * GH, *pr = cell.rzn.template data<F>() + t * B * GH;
      const F* pb = cell.hprev.template data<F>() + t * B * H;
      parallel_for(n, parallel_rows(n, GH), [&](int64_t b) {
        F* row = py + b * H;
        for (int64_t j = 0; j < H; ++j) row[j] = pout[b * ld + j] + pdh[b * H + j];
        detail::gru_backward_row<F>(H, row, pg + b * GH, pb + b * H, pr + b * GH, pdx + b * lg, pdg + b * lg,
                                    pdh + b * H);
      });
    }
    // dL/dh_{t−1} of the running rows: dĝ_t W_hh (+ the GRU's direct part, already in dh)
    step_gemm<F>(dg_t, n, dir.w_hh, dir.packed, dh, !kLstm);
  }
}

// The layer. Inputs in order: gx, weight_hh × D, h0 × D, (c0 × D), (bias_hh × D).
template <class Cell>
Var run_layer(const Var& gx_in, const std::vector<Var>& w_in, const std::vector<Var>& b_in,
              const std::vector<Var>& h0_in, const std::vector<Var>* c0_in, const std::vector<int64_t>& running) {
  constexpr bool kLstm = Cell::kStates == 2;
  const Dims dm = check_layer(Cell::kName, Cell::kGates, gx_in, w_in, b_in, h0_in, c0_in, running);
  const int64_t T = dm.steps, B = dm.batch, H = dm.hidden, D = dm.dirs;
  const DType dtype = gx_in.dtype();
  const Tensor gx = gx_in.value().contiguous();
  std::vector<Var> inputs{gx_in};
  inputs.insert(inputs.end(), w_in.begin(), w_in.end());
  inputs.insert(inputs.end(), h0_in.begin(), h0_in.end());
  if (kLstm) inputs.insert(inputs.end(), c0_in->begin(), c0_in->end());
  inputs.insert(inputs.end(), b_in.begin(), b_in.end());
  const bool record =
      grad_enabled() && std::any_of(inputs.begin(), inputs.end(), [](const Var& v) { return v.requires_grad(); });

  std::vector<Direction> dirs(static_cast<size_t>(D));
  Tensor out = Tensor::empty({T + Cell::kStates, B, D * H}, dtype);  // outputs, h_n (, c_n)
  for (int64_t d = 0; d < D; ++d) {
    Direction& dir = dirs[d];
    dir.d = d;
    dir.w_hh = w_in[d].value().contiguous();
    if (!b_in.empty()) dir.b_hh = b_in[d].value().contiguous();
    dir.packed = packed_weight(dir.w_hh, true);  // W_hhᵀ for the forward's row GEMM
    out.select(0, T).narrow(1, d * H, H).copy_(h0_in[d].value());
    if (kLstm) out.select(0, T + 1).narrow(1, d * H, H).copy_((*c0_in)[d].value());
  }
  std::vector<Cell> cells(static_cast<size_t>(D));
  if (record)
    for (Cell& c : cells) c.save(dm, dtype);
  dispatch_floating(dtype, Cell::kName, [&](auto tag) {
    using F = decltype(tag);
    for_directions(D, [&](int64_t d) { forward_direction<Cell, F>(dm, gx, out, dirs[d], running, record, cells[d]); });
  });
  if (!record) return Var(out);

  return make_result(
      out, inputs,
      [dm, dirs, cells, running, T, B, H, D, has_bias = !b_in.empty()](const Tensor& grad, Grads& grads) mutable {
        const int64_t GH = Cell::kGates * H;
        const Tensor g = grad.contiguous();  // [T + states, B, D·H]
        const Tensor dg = Tensor::zeros({T, B, D * GH}, g.dtype());  // gh's pre-activation gradients (not running: 0)
        const Tensor dgx = kLstm ? dg : Tensor::zeros({T, B, D * GH}, g.dtype());
        std::vector<Tensor> dh(static_cast<size_t>(D)), dc(static_cast<size_t>(D));
        for (int64_t d = 0; d < D; ++d) {
          dh[d] = g.select(0, T).narrow(1, d * H, H).clone();  // dL/dh_n -> dL/dh0
          if (kLstm) dc[d] = g.select(0, T + 1).narrow(1, d * H, H).clone();
          dirs[d].packed = packed_weight(dirs[d].w_hh, false);  // W_hh for the backward's row GEMM
        }
        dispatch_floating(g.dtype(), Cell::kName, [&](auto tag) {
          using F = decltype(tag);
          for_directions(D, [&](int64_t d) {
            backward_direction<Cell, F>(dm, g, dirs[d], running, cells[d], dg, dgx, dh[d], dc[d]);
          });
        });
        if (grads.needs(0)) grads[0] = dgx;
        const Tensor dg_rows = dg.view({T * B, D * GH});
        for (int64_t d = 0; d < D; ++d) {
          const size_t w = 1 + d, h0 = 1 + D + d, c0 = 1 + 2 * D + d, b = 1 + (kLstm ? 3 : 2) * D + d;
          if (grads.needs(w)) {  // dW_hh [G·H, H] = Σ_t dĝ_tᵀ h_{t−1}: one GEMM with inner dimension T·B
            Tensor dw = Tensor::empty({GH, H}, g.dtype());
            gemm_into(dg_rows.narrow(1, d * GH, GH).transpose(0, 1), cells[d].hprev.view({T * B, H}), dw);
            grads[w] = dw;
          }
          grads[h0] = dh[d];
          if (kLstm) grads[c0] = dc[d];
          if (has_bias && grads.needs(b)) grads[b] = column_sums(dg, T * B, GH, D * GH, d * GH);
        }
      },
      Cell::kName);
}

}  // namespace

ATTEND_REGISTER_OP("gru_layer");
Var gru_layer(const Var& gx, const std::vector<Var>& weight_hh, const std::vector<Var>& bias_hh,
              const std::vector<Var>& h0, const std::vector<int64_t>& running) {
  return run_layer<GruCell>(gx, weight_hh, bias_hh, h0, nullptr, running);
}

ATTEND_REGISTER_OP("lstm_layer");
Var lstm_layer(const Var& gx, const std::vector<Var>& weight_hh, const std::vector<Var>& bias_hh,
               const std::vector<Var>& h0, const std::vector<Var>& c0, const std::vector<int64_t>& running) {
  return run_layer<LstmCell>(gx, weight_hh, bias_hh, h0, &c0, running);
}

}  // namespace attend
