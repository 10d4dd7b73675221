// RNN: torch.nn.RNN / LSTM / GRU. Per layer and direction, the input projection of every step is one GEMM; GRU and
// LSTM (without proj_size) then run the time loop as one op (gru_layer / lstm_layer), the other kinds as a loop over
// recurrent_step. With lengths, the batch is sorted longest first (as torch's pack_padded_sequence does), so each step
// runs the cell on the rows still running only, and padded steps output 0 and cost nothing. The work runs time-first
// ([T, B, ·]) inside, so each step's slice is contiguous; batch_first inputs and outputs are transposed views.
#include "attend/nn/rnn/rnn.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "attend/ops/dropout.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/recurrent_layer.hpp"
#include "attend/ops/shape.hpp"
#include "cell_common.hpp"

namespace attend::nn {

namespace {

constexpr uint64_t kDropoutStream = 0x6472'6f70;  // "drop": far from the init streams 0, 1, 2, ...

const RecurrentOptions& checked(const RecurrentOptions& o) {
  const char* mode = cell_kind_name(o.mode);
  ATTEND_CHECK(o.mode != CellKind::augru,
               "RNN: mode augru is a cell only (use AUGRUCell); the sequence modes are rnn_tanh, rnn_relu, lstm, gru");
  ATTEND_CHECK(o.input_size >= 0 && o.hidden_size > 0 && o.num_layers > 0,
               "RNN: input_size must be >= 0, hidden_size and num_layers > 0 (got {}, {}, {})", o.input_size,
               o.hidden_size, o.num_layers);
  ATTEND_CHECK(o.dropout >= 0.0 && o.dropout <= 1.0, "RNN: dropout must be in [0, 1], got {}", o.dropout);
  ATTEND_CHECK(o.proj_size >= 0, "RNN: proj_size must be >= 0, got {}", o.proj_size);
  ATTEND_CHECK(o.proj_size == 0 || o.mode == CellKind::lstm,
               "RNN: proj_size is only supported with mode lstm (got proj_size {} with mode {})", o.proj_size, mode);
  ATTEND_CHECK(o.proj_size < o.hidden_size,
               "RNN: proj_size must be smaller than hidden_size (got proj_size {}, hidden_size {})", o.proj_size,
               o.hidden_size);
  return o;
}

std::string shape_of(const Var& v) { return v.defined() ? shape_str(v.shape()) : "(undefined)"; }

// The batch sorted by length, longest first (stable), so that at every step the items still running are the first
// rows: running[t] = how many items have length > t. Without lengths nothing is sorted and every item runs.
struct Packing {
  Tensor order, inverse;         // i64 [B]: sorted row r is item order[r]; item b is sorted row inverse[b]
  std::vector<int64_t> running;  // [T]
  bool permuted = false;         // false: order is the identity
};

Packing packing(const Tensor& lengths, int64_t batch, int64_t steps) {
  Packing p{Tensor(), Tensor(), std::vector<int64_t>(static_cast<size_t>(steps), batch), false};
  if (!lengths.defined()) return p;
  ATTEND_CHECK(lengths.dtype() == DType::i64 && lengths.dim() == 1 && lengths.size(0) == batch,
               "RNN: lengths must be an i64 tensor of shape [B] = [{}], got {} with shape {}", batch,
               dtype_name(lengths.dtype()), shape_str(lengths.shape()));
  const std::vector<int64_t> len = lengths.contiguous().to_vector<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    ATTEND_CHECK(len[b] >= 1 && len[b] <= steps,
                 "RNN: lengths[{}] = {} must be in [1, T] with T = {} (the input's time extent)", b, len[b], steps);
  }
  std::vector<int64_t> order(static_cast<size_t>(batch)), inverse(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return len[a] > len[b]; });
  for (int64_t r = 0; r < batch; ++r) {
    inverse[order[r]] = r;
    p.permuted = p.permuted || order[r] != r;
  }
  for (int64_t t = 0; t < steps; ++t) {
    p.running[t] = std::count_if(len.begin(), len.end(), [t](int64_t l) { return l > t; });
  }
  p.order = Tensor::from_vector(order, {batch});
  p.inverse = Tensor::from_vector(inverse, {batch});
  return p;
}

struct DirectionResult {
  Var output;  // [T, B, H_out]
  RecurrentState last;
};

// Rows [start, start + n) of a state (h and, for LSTM, c).
RecurrentState rows(const RecurrentState& s, int64_t start, int64_t n) {
  return {narrow(s.h, 0, start, n), s.c.defined() ? narrow(s.c, 0, start, n) : Var()};
}

RecurrentState joined(const RecurrentState& a, const RecurrentState& b) {
  return {concat({a.h, b.h}, 0), a.c.defined() ? concat({a.c, b.c}, 0) : Var()};
}

// GRU and LSTM layers without projection run as one op (ops/recurrent_layer.hpp); the other kinds, LSTM with
// proj_size, and every layer when the environment sets ATTEND_RNN_IMPL=steps (the reference, for A/B benchmarks),
// step by step below.
bool fused_layer(CellKind kind, bool projection) {
  const char* env = std::getenv("ATTEND_RNN_IMPL");
  if (env != nullptr && std::string_view(env) == "steps") return false;
  return kind == CellKind::gru || (kind == CellKind::lstm && !projection);
}

struct DirectionWeights {
  Var weight_ih, bias_ih, weight_hh, bias_hh;  // bias_ih and bias_hh undefined without bias
};

struct LayerResult {
  Var output;                         // [T, B, D·H]
  std::vector<RecurrentState> last;   // per direction, [B, H]
};

// One GRU or LSTM layer, all D directions, as one op: x [T, B, in] length-sorted, w and initial per direction. The
// directions' input projections are one GEMM (their W_ih stacked); the op's output is already the layer's
// [T, B, D·H] with the directions side by side.
LayerResult run_fused_layer(CellKind kind, const Var& x, const std::vector<DirectionWeights>& w,
                            const std::vector<RecurrentState>& initial, const std::vector<int64_t>& running) {
  const bool lstm = kind == CellKind::lstm;
  const int64_t D = static_cast<int64_t>(w.size()), T = x.size(0), H = w[0].weight_hh.size(1);
  std::vector<Var> w_ih, b_ih, w_hh, b_hh, h0, c0;
  for (int64_t d = 0; d < D; ++d) {
    w_ih.push_back(w[d].weight_ih);
    w_hh.push_back(w[d].weight_hh);
    if (w[d].bias_ih.defined()) {
      b_ih.push_back(w[d].bias_ih);
      b_hh.push_back(w[d].bias_hh);
    }
    h0.push_back(initial[d].h);
    if (lstm) c0.push_back(initial[d].c);
  }
  const Var gx = D == 1 ? linear(x, w_ih[0], b_ih.empty() ? Var() : b_ih[0])  // [T, B, D·G·H]
                        : linear(x, concat(w_ih, 0), b_ih.empty() ? Var() : concat(b_ih, 0));
  const Var all = lstm ? lstm_layer(gx, w_hh, b_hh, h0, c0, running) : gru_layer(gx, w_hh, b_hh, h0, running);
  LayerResult r{narrow(all, 0, 0, T), {}};
  for (int64_t d = 0; d < D; ++d) {
    r.last.push_back({narrow(select(all, 0, T), 1, d * H, H), lstm ? narrow(select(all, 0, T + 1), 1, d * H, H) : Var()});
  }
  return r;
}

// One layer in one direction over a length-sorted batch: x [T, B, in] time-first, initial state [B, H_out] (and
// c [B, H]). Step t runs the cell on the first running[t] rows only: no work on padding. Forward, an item's state
// is final once it stops running; in reverse, an item starts from its initial state at its last step.
DirectionResult run_direction(CellKind kind, const Var& x, const Var& weight_ih, const Var& bias_ih,
                              const StepWeights& weights, const RecurrentState& initial,
                              const std::vector<int64_t>& running, bool reverse) {
  const int64_t steps = x.size(0), batch = x.size(1), width = initial.h.size(1);
  const Var gx = linear(x, weight_ih, bias_ih);  // [T, B, G·H]
  std::vector<Var> outputs(static_cast<size_t>(steps));
  std::vector<RecurrentState> finished;  // forward: rows that stopped, latest (lowest rows) last
  RecurrentState state = reverse ? RecurrentState{} : initial;
  int64_t held = reverse ? 0 : batch;  // rows in `state`
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = reverse ? steps - 1 - s : s, n = running[t];
    if (n < held) {  // forward: rows n.. have ended
      finished.push_back(rows(state, n, held - n));
      state = n == 0 ? RecurrentState{} : rows(state, 0, n);
    } else if (n > held) {  // reverse: rows held.. start here
      const RecurrentState starting = rows(initial, held, n - held);
      state = held == 0 ? starting : joined(state, starting);
    }
    held = n;
    const Var pad = n == batch ? Var() : Var(Tensor::zeros({batch - n, width}, x.dtype()));  // [B - n, H_out]
    if (n == 0) {  // every item is padding here (lengths shorter than T)
      outputs[t] = pad;
      continue;
    }
    const Var g = n == batch ? select(gx, 0, t) : narrow(select(gx, 0, t), 0, 0, n);  // [n, G·H]
    state = recurrent_step(kind, g, state, weights);                                  // [n, H_out]
    outputs[t] = n == batch ? state.h : concat({state.h, pad}, 0);                    // [B, H_out]
  }
  for (auto it = finished.rbegin(); it != finished.rend(); ++it) state = state.h.defined() ? joined(state, *it) : *it;
  return {stack(outputs, 0), state};  // [T, B, H_out]
}

}  // namespace

RNN::RNN(const RecurrentOptions& options) : options_(checked(options)), rng_(options_.seed, kDropoutStream) {
  const int64_t gates = gate_count(options_.mode), hidden = options_.hidden_size, out = output_size();
  const int64_t rows = gates * hidden;
  uint64_t stream = 0;
  auto add = [&](const std::string& name, const Shape& shape) -> const Var& {
    return register_parameter(name, detail::recurrent_uniform(shape, hidden, options_.seed, stream++));
  };
  for (int64_t layer = 0; layer < options_.num_layers; ++layer) {
    const int64_t in = layer == 0 ? options_.input_size : num_directions() * out;
    for (int64_t d = 0; d < num_directions(); ++d) {
      const std::string suffix = fmt::format("_l{}{}", layer, d == 1 ? "_reverse" : "");
      LayerWeights w;
      w.weight_ih = add("weight_ih" + suffix, {rows, in});
      w.weight_hh = add("weight_hh" + suffix, {rows, out});
      if (options_.bias) {
        w.bias_ih = add("bias_ih" + suffix, {rows});
        w.bias_hh = add("bias_hh" + suffix, {rows});
      }
      if (options_.proj_size > 0) w.weight_hr = add("weight_hr" + suffix, {out, hidden});
      weights_.push_back(w);
    }
  }
}

RecurrentOutput RNN::forward(const Var& input, const Tensor& lengths, const RecurrentState& initial) {
  const RecurrentOptions& o = options_;
  const bool lstm = o.mode == CellKind::lstm;
  ATTEND_CHECK(input.defined() && input.dim() == 3, "RNN: input must be 3-D, {} (got shape {})",
               o.batch_first ? "[B, T, I]" : "[T, B, I]", shape_of(input));
  ATTEND_CHECK(input.size(2) == o.input_size,
               "RNN: input.shape[-1] must equal input_size (expected {}, got {}); input shape {}", o.input_size,
               input.size(2), shape_str(input.shape()));
  ATTEND_CHECK(input.dtype() == weights_[0].weight_ih.dtype(),
               "RNN: input is {} but the parameters are {} (convert with to()); input shape {}",
               dtype_name(input.dtype()), dtype_name(weights_[0].weight_ih.dtype()), shape_str(input.shape()));
  const Var x0 = o.batch_first ? transpose(input, 0, 1) : input;  // [T, B, I]
  const int64_t steps = x0.size(0), batch = x0.size(1), layers = o.num_layers, dirs = num_directions();
  ATTEND_CHECK(steps >= 1, "RNN: input must have at least one time step; input shape {}", shape_str(input.shape()));
  const Packing pack = packing(lengths, batch, steps);

  const Shape h_shape = {layers * dirs, batch, output_size()}, c_shape = {layers * dirs, batch, o.hidden_size};
  ATTEND_CHECK(!initial.h.defined() || initial.h.shape() == h_shape,
               "RNN: initial h (h0) must be [L·D, B, H_out] = {}; h0 shape {}, input shape {}", shape_str(h_shape),
               shape_of(initial.h), shape_str(input.shape()));
  ATTEND_CHECK(lstm || !initial.c.defined(), "RNN: initial c (c0) is only for lstm, got c0 shape {} with mode {}",
               shape_of(initial.c), cell_kind_name(o.mode));
  ATTEND_CHECK(!initial.c.defined() || initial.c.shape() == c_shape,
               "RNN: initial c (c0) must be [L·D, B, H] = {}; c0 shape {}, input shape {}", shape_str(c_shape),
               shape_of(initial.c), shape_str(input.shape()));
  auto sorted = [&](const Var& v, int64_t dim) { return pack.permuted ? index_select(v, dim, pack.order) : v; };
  auto unsorted = [&](const Var& v, int64_t dim) { return pack.permuted ? index_select(v, dim, pack.inverse) : v; };
  auto initial_slice = [&](const Var& all, int64_t k, int64_t width) {  // [B, width], sorted
    return all.defined() ? sorted(select(all, 0, k), 0) : Var(Tensor::zeros({batch, width}, input.dtype()));
  };

  Var x = sorted(x0, 1);  // [T, B, in], longest item first
  std::vector<Var> h_n, c_n;
  for (int64_t layer = 0; layer < layers; ++layer) {
    if (fused_layer(o.mode, weights_[static_cast<size_t>(layer * dirs)].weight_hr.defined())) {
      std::vector<DirectionWeights> w;
      std::vector<RecurrentState> states;
      for (int64_t d = 0; d < dirs; ++d) {
        const int64_t k = layer * dirs + d;
        const LayerWeights& lw = weights_[static_cast<size_t>(k)];
        w.push_back({lw.weight_ih, lw.bias_ih, lw.weight_hh, lw.bias_hh});
        states.push_back({initial_slice(initial.h, k, output_size()),
                          lstm ? initial_slice(initial.c, k, o.hidden_size) : Var()});
      }
      LayerResult r = run_fused_layer(o.mode, x, w, states, pack.running);
      x = r.output;  // [T, B, D·H]
      for (const RecurrentState& last : r.last) {
        h_n.push_back(last.h);
        if (lstm) c_n.push_back(last.c);
      }
    } else {
      std::vector<Var> outputs;
      for (int64_t d = 0; d < dirs; ++d) {
        const int64_t k = layer * dirs + d;
        const LayerWeights& w = weights_[static_cast<size_t>(k)];
        RecurrentState state{initial_slice(initial.h, k, output_size()),
                             lstm ? initial_slice(initial.c, k, o.hidden_size) : Var()};
        DirectionResult r = run_direction(o.mode, x, w.weight_ih, w.bias_ih,
                                          {.weight_hh = w.weight_hh, .bias_hh = w.bias_hh, .weight_hr = w.weight_hr},
                                          state, pack.running, d == 1);
        outputs.push_back(r.output);
        h_n.push_back(r.last.h);
        if (lstm) c_n.push_back(r.last.c);
      }
      x = dirs == 1 ? outputs[0] : concat(outputs, 2);  // [T, B, D·H_out]
    }
    if (is_training() && o.dropout > 0.0 && layer + 1 < layers) x = dropout(x, o.dropout, true, rng_);
  }
  x = unsorted(x, 1);  // back to the caller's order
  RecurrentOutput out;
  out.output = o.batch_first ? transpose(x, 0, 1) : x;  // [B, T, D·H_out] or [T, B, D·H_out]
  out.h_n = unsorted(stack(h_n, 0), 1);                 // [L·D, B, H_out]
  if (lstm) out.c_n = unsorted(stack(c_n, 0), 1);       // [L·D, B, H]
  return out;
}

}  // namespace attend::nn
