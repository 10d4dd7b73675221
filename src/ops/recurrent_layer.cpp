// gru_layer and lstm_layer (include/attend/ops/recurrent_layer.hpp): the forward time loop of one direction, then its
// backward right below; run_layer runs the D directions, side by side on two threads when it can, and a single
// direction on two threads that split its hidden units (for_units). Both cells share the loops; a cell policy
// (GruCell, LstmCell) holds what differs: the saved buffers, the row kernels (recurrent_rows.hpp) and whether
// dL/dh_{t−1} has a direct part besides dĝ_t W_hh. Every element is computed by one thread in a fixed order, and the
// unit split falls on the row GEMM's panel boundaries, so results do not depend on the thread count.
#include "attend/ops/recurrent_layer.hpp"

#include <omp.h>

#include <algorithm>
#include <string>
#include <type_traits>

#include "attend/autograd/node.hpp"
#include "attend/core/threads.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/elementwise.hpp"
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
  Tensor gh;   // [T, B, 3H]: h W_hhᵀ; its n part + b_hn (the only part the backward reads)
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

// A weight packed for kernels::row_gemm (f32 only; data undefined otherwise) as `blocks` column blocks of `width`
// columns, each packed on its own, so that the columns [u0, u1) of a block, u0 a multiple of the panel width, are whole
// panels: the forward packs B = W_hhᵀ [H, G·H] per gate (G blocks of H), the backward B = W_hh [G·H, H] (one block).
struct PackedWeight {
  Tensor data;
  int64_t K = 0, width = 0;
  const float* at(int64_t block, int64_t u0) const {
    return data.data<float>() + block * kernels::row_gemm_packed_size(K, width) + kernels::row_gemm_packed_size(K, u0);
  }
};

PackedWeight packed_weight(const Tensor& w_hh, bool transposed) {
  const int64_t H = w_hh.size(1), GH = w_hh.size(0);  // [G·H, H]
  PackedWeight pw{Tensor(), transposed ? H : GH, H};
  if (w_hh.dtype() != DType::f32) return pw;  // the block layout only
  const int64_t blocks = transposed ? GH / H : 1, per_block = kernels::row_gemm_packed_size(pw.K, H);
  pw.data = Tensor::empty({blocks * per_block}, DType::f32);
  for (int64_t g = 0; g < blocks; ++g) {  // B(k, j) of gate g = w_hh[(g·H + j)·H + k]; untransposed w_hh[k·H + j]
    kernels::row_gemm_pack(pw.K, H, w_hh.data<float>() + g * H * H, transposed ? 1 : H, transposed ? H : 1,
                           pw.data.data<float>() + g * per_block);
  }
  return pw;
}

// Columns [c0, c0 + w) of c[0, n) (+)= a[0, n) · b, for 2-D views a [·, K], b [K, ·] and c with unit column stride,
// c0 = block · width + u0: f32 through the row GEMM on the packed block, f64 OpenBLAS on b (a view of W_hh or W_hhᵀ).
template <class T>
void gemm_columns(int64_t n, const Tensor& a, const Tensor& b, const PackedWeight& packed, int64_t block, int64_t u0,
                  int64_t u1, const Tensor& c, bool accumulate) {
  const int64_t c0 = block * packed.width + u0, w = u1 - u0;
  if constexpr (std::is_same_v<T, float>) {
    kernels::row_gemm(n, w, a.size(1), a.data<float>(), a.stride(0), packed.at(block, u0), c.data<float>() + c0,
                      c.stride(0), accumulate);
  } else {
    const Tensor product = matmul(a.narrow(0, 0, n), b.narrow(1, c0, w));  // a column slice of c is not contiguous
    const Tensor slice = c.narrow(0, 0, n).narrow(1, c0, w);
    if (accumulate) {
      add_into(slice, product);
    } else {
      slice.copy_(product);
    }
  }
}

// The hidden units [0, split) and [split, H) of the two threads that split one direction's steps (split a multiple of
// the row GEMM's panel width); 0 when the units are too few to split.
int64_t unit_split(int64_t H) {
  const int64_t half = (H / 2 + kernels::kRowGemmPanel - 1) / kernels::kRowGemmPanel * kernels::kRowGemmPanel;
  return half < H ? half : 0;
}

// Runs steps(u0, u1, two) over the hidden units: on two threads splitting them at unit_split when one direction runs
// alone (dirs = 1), the pool has two threads and the work is worth it (two = true: steps then waits at a barrier after
// each step), else on the calling thread over [0, H).
template <class Steps>
void for_units(const Dims& dm, Steps&& steps) {
  const int64_t H = dm.hidden, split = unit_split(H);
  if (dm.dirs == 1 && split > 0 && num_threads() >= 2 && !omp_in_parallel() &&
      parallel_worth(2, dm.batch * dm.gates * H * H)) {
#pragma omp parallel num_threads(2)
    {
      const bool first = omp_get_thread_num() == 0;
      steps(first ? 0 : split, first ? split : H, true);
    }
  } else {
    steps(0, H, false);
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
  Tensor w_hh, b_hh;    // [G·H, H], [G·H] or undefined
  PackedWeight packed;  // W_hh packed for the step GEMM (the forward's, then the backward's)
};

// Asks for units [u0, u1) of every gate of the next row of gx: gx [T, B, D·G·H] was written by one GEMM before the
// loop and is read from memory, not cache. On one thread this took the LSTM gate kernel from 9.2% to 6.1% of the
// forward's samples (perf).
template <class F>
void prefetch_gates(const F* row, int64_t G, int64_t H, int64_t u0, int64_t u1) {
  constexpr int64_t kLine = 64 / static_cast<int64_t>(sizeof(F));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t j = u0; j < u1; j += kLine) __builtin_prefetch(row + g * H + j, 0, 3);
}

// The forward of direction dir.d: writes its columns of out (outputs, h_n, c_n); fills cell when recording. Every
// step reads h from one of two buffers (out's row T and a scratch) and writes h' to the other, so the threads of
// for_units, each on its own hidden units (its columns of every gate), need one barrier per step; c and the saved
// buffers are per unit.
template <class Cell, class F>
void forward_direction(const Dims& dm, const Tensor& gx, const Tensor& out, const Direction& dir,
                       const std::vector<int64_t>& running, bool record, Cell& cell) {
  constexpr bool kLstm = Cell::kStates == 2;
  constexpr int64_t G = Cell::kGates;
  const int64_t T = dm.steps, B = dm.batch, H = dm.hidden, GH = G * H, ld = dm.dirs * H, lx = dm.dirs * GH;
  const DType dtype = gx.dtype();
  const Tensor h_buf[2] = {out.select(0, T).narrow(1, dir.d * H, H), Tensor::empty({B, H}, dtype)};  // [B, H]
  F* pc = kLstm ? out.select(0, T + 1).narrow(1, dir.d * H, H).data<F>() : nullptr;  // row stride D·H
  // Without a graph, one step's buffers are reused.
  const Tensor step_gh = record && !kLstm ? Tensor() : Tensor::empty({B, GH}, dtype);
  const Tensor step_saved = record ? Tensor() : Tensor::empty({B, kLstm ? 5 * H : 3 * H}, dtype);
  const Tensor step_c = record || !kLstm ? Tensor() : Tensor::empty({B, H}, dtype);
  const Tensor w_t = dir.w_hh.transpose(0, 1);  // [H, G·H]
  int64_t last = 0;                             // the buffer holding h after the last step
  for_units(dm, [&](int64_t u0, int64_t u1, bool two) {
    const int64_t w = u1 - u0;
    int64_t cur = 0;
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = time_of(s, T, dir.d), n = running[t];
      const Tensor& h = h_buf[cur];
      F *ph = h.data<F>(), *pn = h_buf[1 - cur].data<F>();
      const int64_t lh = h.stride(0), ln = h_buf[1 - cur].stride(0);
      F* py = out.data<F>() + t * B * ld + dir.d * H;  // row b at py + b·ld
      if (record) copy_rows<F>(B, w, ph + u0, lh, cell.hprev.template data<F>() + t * B * H + u0, H);  // h entering
      for (int64_t b = n; b < B; ++b) std::fill(py + b * ld + u0, py + b * ld + u1, F{0});
      if (n == 0) continue;
      copy_rows<F>(B - n, w, ph + n * lh + u0, lh, pn + n * ln + u0, ln);  // the rows that do not run keep their h
      Tensor gh = step_gh;  // [B, G·H]
      if constexpr (!kLstm) {
        if (record) gh = cell.gh.select(0, t);
      }
      F* pg = gh.data<F>();
      const F* bias = dir.b_hh.defined() ? dir.b_hh.data<F>() : nullptr;  // added in the gate kernel
      for (int64_t g = 0; g < G; ++g) gemm_columns<F>(n, h, w_t, dir.packed, g, u0, u1, gh, false);  // gh = h W_hhᵀ
      const F* px = gx.data<F>() + t * B * lx + dir.d * GH;  // row b at px + b·D·G·H
      F* c_in = nullptr;  // LSTM: c entering the step
      if constexpr (kLstm) {
        c_in = (record ? cell.cprev.select(0, t) : step_c).template data<F>();
        copy_rows<F>(B, w, pc + u0, ld, c_in + u0, H);
      }
      F* ps = step_saved.defined() ? step_saved.data<F>() : nullptr;  // the gate kernel's saved values
      if (record) {
        if constexpr (kLstm) {
          ps = cell.saved.select(0, t).template data<F>();
        } else {
          ps = cell.rzn.select(0, t).template data<F>();
        }
      }
      auto rows = [&](auto with_bias) {  // this thread's units of every running row
        constexpr bool kBias = decltype(with_bias)::value;
        for (int64_t b = 0; b < n; ++b) {
          if (b + 1 < n) prefetch_gates<F>(px + (b + 1) * lx, G, H, u0, u1);
          if constexpr (kLstm) {
            detail::lstm_forward_row<F, kBias>(H, px + b * lx, pg + b * GH, c_in + b * H, ps + b * 5 * H, py + b * ld,
                                               pc + b * ld, u0, u1, bias);
          } else {
            detail::gru_forward_row<F, kBias>(H, px + b * lx, pg + b * GH, ph + b * lh, ps + b * GH, py + b * ld, u0,
                                              u1, bias);
          }
        }
      };
      if (bias != nullptr) {
        rows(std::true_type{});
      } else {
        rows(std::false_type{});
      }
      copy_rows<F>(n, w, py + u0, ld, pn + u0, ln);  // the new state of the running rows
      cur = 1 - cur;
      if (two) {
#pragma omp barrier
      }
    }
    if (u0 == 0) last = cur;
  });
  if (last == 1) h_buf[0].copy_(h_buf[1]);
}

// The backward of direction dir.d through time: dg (its columns of [T, B, D·G·H], zero where a row is not running)
// gets the pre-activation gradients of gh, dgx (the GRU's separate gx gradients; for LSTM dgx is dg) those of gx;
// dh and dc ([B, H]) start as dL/dh_n, dL/dc_n and end as dL/dh0, dL/dc0. The threads of for_units each own their
// hidden units of dh, dc and of every gate of dg: the row kernels read and write only those, the GEMM reads all of
// dĝ_t (hence the barrier before it) and writes the thread's columns of dh.
template <class Cell, class F>
void backward_direction(const Dims& dm, const Tensor& g, const Direction& dir, const std::vector<int64_t>& running,
                        const Cell& cell, const Tensor& dg, const Tensor& dgx, const Tensor& dh, const Tensor& dc) {
  constexpr bool kLstm = Cell::kStates == 2;
  const int64_t T = dm.steps, B = dm.batch, H = dm.hidden, GH = Cell::kGates * H, ld = dm.dirs * H,
                lg = dm.dirs * GH;
  const Tensor gy = Tensor::empty({B, kLstm ? 2 * H : H}, g.dtype());  // dL/dh' (| dL/dc') of one step
  F *pdh = dh.data<F>(), *py = gy.data<F>();
  for_units(dm, [&](int64_t u0, int64_t u1, bool two) {
    for (int64_t s = T - 1; s >= 0; --s) {
      const int64_t t = time_of(s, T, dir.d), n = running[t];
      if (n == 0) continue;
      const F* pout = g.data<F>() + t * B * ld + dir.d * H;  // dL/dy_t, row b at pout + b·ld
      const Tensor dg_t = dg.select(0, t).narrow(1, dir.d * GH, GH);  // [B, G·H], row stride D·G·H
      F *pdg = dg_t.data<F>(), *pdx = dgx.data<F>() + t * B * lg + dir.d * GH;
      if constexpr (kLstm) {
        const F *pc = cell.cprev.template data<F>() + t * B * H, *ps = cell.saved.template data<F>() + t * B * 5 * H;
        F* pdc = dc.data<F>();
        for (int64_t b = 0; b < n; ++b) {
          F* row = py + b * 2 * H;
          for (int64_t j = u0; j < u1; ++j) row[j] = pout[b * ld + j] + pdh[b * H + j];
          std::copy(pdc + b * H + u0, pdc + b * H + u1, row + H + u0);
          detail::lstm_backward_row<F>(H, row, row + H, pc + b * H, ps + b * 5 * H, pdg + b * lg, pdc + b * H, u0,
                                       u1);
        }
      } else {
        const F *pg = cell.gh.template data<F>() + t * B * GH, *pr = cell.rzn.template data<F>() + t * B * GH;
        const F* pb = cell.hprev.template data<F>() + t * B * H;
        for (int64_t b = 0; b < n; ++b) {
          F* row = py + b * H;
          for (int64_t j = u0; j < u1; ++j) row[j] = pout[b * ld + j] + pdh[b * H + j];
          detail::gru_backward_row<F>(H, row, pg + b * GH, pb + b * H, pr + b * GH, pdx + b * lg, pdg + b * lg,
                                      pdh + b * H, u0, u1);
        }
      }
      if (two) {
#pragma omp barrier
      }
      // dL/dh_{t−1} of the running rows: dĝ_t W_hh (+ the GRU's direct part, already in dh)
      gemm_columns<F>(n, dg_t, dir.w_hh, dir.packed, 0, u0, u1, dh, !kLstm);
    }
  });
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
