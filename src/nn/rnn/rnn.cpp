// RNN: torch.nn.RNN / LSTM / GRU as a time loop over recurrent_step. Per layer and direction, the input projection of
// every step is one GEMM; then each step selects its slice, runs the cell and, where an item's sequence has ended,
// keeps the old state (where) and outputs 0 (masked_fill). The work runs time-first ([T, B, ·]) inside, so each
// step's slice is contiguous; batch_first inputs and outputs are transposed views.
#include "attend/nn/rnn/rnn.hpp"

#include <algorithm>

#include "attend/ops/dropout.hpp"
#include "attend/ops/linear_algebra.hpp"
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

// Per time step, the u8 masks [B, 1] of the items still running (`active`) and of those already ended (`ended`);
// both undefined at steps where every item runs.
struct StepMasks {
  std::vector<Tensor> active, ended;
};

StepMasks step_masks(const Tensor& lengths, int64_t batch, int64_t steps) {
  StepMasks m{std::vector<Tensor>(static_cast<size_t>(steps)), std::vector<Tensor>(static_cast<size_t>(steps))};
  if (!lengths.defined()) return m;
  ATTEND_CHECK(lengths.dtype() == DType::i64 && lengths.dim() == 1 && lengths.size(0) == batch,
               "RNN: lengths must be an i64 tensor of shape [B] = [{}], got {} with shape {}", batch,
               dtype_name(lengths.dtype()), shape_str(lengths.shape()));
  const std::vector<int64_t> len = lengths.to_vector<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    ATTEND_CHECK(len[b] >= 1 && len[b] <= steps,
                 "RNN: lengths[{}] = {} must be in [1, T] with T = {} (the input's time extent)", b, len[b], steps);
  }
  for (int64_t t = 0; t < steps; ++t) {
    Tensor active = Tensor::empty({batch, 1}, DType::u8), ended = Tensor::empty({batch, 1}, DType::u8);
    bool any_ended = false;
    for (int64_t b = 0; b < batch; ++b) {
      const bool running = t < len[b];
      active.data<uint8_t>()[b] = running ? 1 : 0;
      ended.data<uint8_t>()[b] = running ? 0 : 1;
      any_ended = any_ended || !running;
    }
    if (any_ended) {
      m.active[t] = active;
      m.ended[t] = ended;
    }
  }
  return m;
}

struct DirectionResult {
  Var output;  // [T, B, H_out]
  RecurrentState last;
};

// One layer in one direction: x [T, B, in] time-first, initial state [B, H_out] (and c [B, H]).
DirectionResult run_direction(CellKind kind, const Var& x, const Var& weight_ih, const Var& bias_ih,
                              const StepWeights& weights, RecurrentState state, const StepMasks& masks, bool reverse) {
  const int64_t steps = x.size(0);
  const Var gx = linear(x, weight_ih, bias_ih);  // [T, B, G·H]
  std::vector<Var> outputs(static_cast<size_t>(steps));
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = reverse ? steps - 1 - s : s;
    RecurrentState next = recurrent_step(kind, select(gx, 0, t), state, weights);  // [B, H_out]
    const Tensor& active = masks.active[t];
    if (active.defined()) {  // ended items keep their state and output 0
      next.h = where(active, next.h, state.h);
      if (next.c.defined()) next.c = where(active, next.c, state.c);
      outputs[t] = masked_fill(next.h, masks.ended[t], 0.0);
    } else {
      outputs[t] = next.h;
    }
    state = next;
  }
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
  const StepMasks masks = step_masks(lengths, batch, steps);

  const Shape h_shape = {layers * dirs, batch, output_size()}, c_shape = {layers * dirs, batch, o.hidden_size};
  ATTEND_CHECK(!initial.h.defined() || initial.h.shape() == h_shape,
               "RNN: initial h (h0) must be [L·D, B, H_out] = {}; h0 shape {}, input shape {}", shape_str(h_shape),
               shape_of(initial.h), shape_str(input.shape()));
  ATTEND_CHECK(lstm || !initial.c.defined(), "RNN: initial c (c0) is only for lstm, got c0 shape {} with mode {}",
               shape_of(initial.c), cell_kind_name(o.mode));
  ATTEND_CHECK(!initial.c.defined() || initial.c.shape() == c_shape,
               "RNN: initial c (c0) must be [L·D, B, H] = {}; c0 shape {}, input shape {}", shape_str(c_shape),
               shape_of(initial.c), shape_str(input.shape()));
  auto initial_slice = [&](const Var& all, int64_t k, int64_t width) {
    return all.defined() ? select(all, 0, k) : Var(Tensor::zeros({batch, width}, input.dtype()));  // [B, width]
  };

  Var x = x0;  // [T, B, in]
  std::vector<Var> h_n, c_n;
  for (int64_t layer = 0; layer < layers; ++layer) {
    std::vector<Var> outputs;
    for (int64_t d = 0; d < dirs; ++d) {
      const int64_t k = layer * dirs + d;
      const LayerWeights& w = weights_[static_cast<size_t>(k)];
      RecurrentState state{initial_slice(initial.h, k, output_size()),
                           lstm ? initial_slice(initial.c, k, o.hidden_size) : Var()};
      DirectionResult r = run_direction(o.mode, x, w.weight_ih, w.bias_ih,
                                        {.weight_hh = w.weight_hh, .bias_hh = w.bias_hh, .weight_hr = w.weight_hr},
                                        state, masks, d == 1);
      outputs.push_back(r.output);
      h_n.push_back(r.last.h);
      if (lstm) c_n.push_back(r.last.c);
    }
    x = dirs == 1 ? outputs[0] : concat(outputs, 2);  // [T, B, D·H_out]
    if (is_training() && o.dropout > 0.0 && layer + 1 < layers) x = dropout(x, o.dropout, true, rng_);
  }
  RecurrentOutput out;
  out.output = o.batch_first ? transpose(x, 0, 1) : x;  // [B, T, D·H_out] or [T, B, D·H_out]
  out.h_n = stack(h_n, 0);                              // [L·D, B, H_out]
  if (lstm) out.c_n = stack(c_n, 0);                    // [L·D, B, H]
  return out;
}

}  // namespace attend::nn
