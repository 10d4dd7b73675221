// recurrent_step: the one-step equations of every cell kind. GRU and LSTM run their gates as one fused op
// (ops/recurrent_gates.hpp); recurrent_step_composite keeps every kind as a composition of differentiable ops (so
// backpropagation through time is the autograd engine's work), the reference the fused gates are tested against. The formulas and operation order follow PyTorch's CPU cells
// (aten/src/ATen/native/RNN.cpp), so results agree to rounding.
#include "attend/nn/rnn/recurrent_cell.hpp"

#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/recurrent_gates.hpp"
#include "attend/ops/shape.hpp"

namespace attend::nn {

int64_t gate_count(CellKind kind) {
  switch (kind) {
    case CellKind::rnn_tanh:
    case CellKind::rnn_relu: return 1;
    case CellKind::lstm: return 4;
    case CellKind::gru:
    case CellKind::augru: return 3;
  }
  return 1;
}

const char* cell_kind_name(CellKind kind) {
  switch (kind) {
    case CellKind::rnn_tanh: return "rnn_tanh";
    case CellKind::rnn_relu: return "rnn_relu";
    case CellKind::lstm: return "lstm";
    case CellKind::gru: return "gru";
    case CellKind::augru: return "augru";
  }
  return "?";
}

CellKind parse_cell_kind(const std::string& name) {
  if (name == "rnn_tanh" || name == "rnn") return CellKind::rnn_tanh;
  if (name == "rnn_relu") return CellKind::rnn_relu;
  if (name == "lstm") return CellKind::lstm;
  if (name == "gru") return CellKind::gru;
  if (name == "augru") return CellKind::augru;
  throw Error(fmt::format(
      "parse_cell_kind: unknown cell kind \"{}\" (expected rnn, rnn_tanh, rnn_relu, lstm, gru or augru)", name));
}

namespace {

std::string shape_of(const Var& v) { return v.defined() ? shape_str(v.shape()) : "(undefined)"; }

// Checks the shapes of one step's operands against weight_hh; returns H (the cell width).
int64_t check_step(CellKind kind, const Var& gx, const RecurrentState& state, const StepWeights& w,
                   const Var& attention) {
  const char* name = cell_kind_name(kind);
  const int64_t gates = gate_count(kind);
  ATTEND_CHECK(w.weight_hh.defined() && w.weight_hh.dim() == 2 && w.weight_hh.size(0) % gates == 0,
               "recurrent_step ({}): weight_hh must be [{}·H, H_out]; weight_hh shape {}", name, gates,
               shape_of(w.weight_hh));
  const int64_t hidden = w.weight_hh.size(0) / gates, out = w.weight_hh.size(1);
  ATTEND_CHECK(gx.defined() && gx.dim() == 2 && gx.size(1) == gates * hidden,
               "recurrent_step ({}): gx must be [B, {}] (G·H with G = {}, H = {}); gx shape {}, weight_hh shape {}",
               name, gates * hidden, gates, hidden, shape_of(gx), shape_str(w.weight_hh.shape()));
  const int64_t batch = gx.size(0);
  ATTEND_CHECK(state.h.defined() && state.h.dim() == 2 && state.h.size(0) == batch && state.h.size(1) == out,
               "recurrent_step ({}): h must be [B, H_out] = [{}, {}]; h shape {}, gx shape {}", name, batch, out,
               shape_of(state.h), shape_str(gx.shape()));
  ATTEND_CHECK(!w.bias_hh.defined() || (w.bias_hh.dim() == 1 && w.bias_hh.size(0) == gates * hidden),
               "recurrent_step ({}): bias_hh must be [{}]; bias_hh shape {}", name, gates * hidden,
               shape_str(w.bias_hh.shape()));
  if (kind == CellKind::lstm) {
    ATTEND_CHECK(state.c.defined() && state.c.dim() == 2 && state.c.size(0) == batch && state.c.size(1) == hidden,
                 "recurrent_step (lstm): c must be [B, H] = [{}, {}]; c shape {}, gx shape {}", batch, hidden,
                 shape_of(state.c), shape_str(gx.shape()));
    if (w.weight_hr.defined()) {
      ATTEND_CHECK(w.weight_hr.dim() == 2 && w.weight_hr.size(0) == out && w.weight_hr.size(1) == hidden,
                   "recurrent_step (lstm): weight_hr must be [H_out, H] = [{}, {}]; weight_hr shape {}", out, hidden,
                   shape_str(w.weight_hr.shape()));
    } else {
      ATTEND_CHECK(out == hidden,
                   "recurrent_step (lstm): weight_hh must be [4·H, H] without weight_hr; weight_hh shape {}",
                   shape_str(w.weight_hh.shape()));
    }
  } else {
    ATTEND_CHECK(!state.c.defined(), "recurrent_step ({}): c is only for lstm, got c shape {}", name,
                 shape_str(state.c.shape()));
    ATTEND_CHECK(!w.weight_hr.defined(), "recurrent_step ({}): weight_hr (proj_size) is only for lstm; shape {}",
                 name, shape_str(w.weight_hr.shape()));
    ATTEND_CHECK(out == hidden, "recurrent_step ({}): weight_hh must be [{}·H, H]; weight_hh shape {}", name, gates,
                 shape_str(w.weight_hh.shape()));
  }
  if (kind == CellKind::augru) {
    ATTEND_CHECK(attention.defined() && attention.numel() == batch &&
                     (attention.dim() == 1 || (attention.dim() == 2 && attention.size(1) == 1)),
                 "recurrent_step (augru): attention must be [B] or [B, 1] with B = {}; attention shape {}", batch,
                 shape_of(attention));
  } else {
    ATTEND_CHECK(!attention.defined(), "recurrent_step ({}): attention is only for augru; attention shape {}", name,
                 shape_str(attention.shape()));
  }
  return hidden;
}

Var one_minus(const Var& x) { return add(neg(x), 1.0); }

}  // namespace

RecurrentState recurrent_step(CellKind kind, const Var& gx, const RecurrentState& state, const StepWeights& weights,
                              const Var& attention) {
  if (kind != CellKind::gru && kind != CellKind::lstm) return recurrent_step_composite(kind, gx, state, weights, attention);
  const int64_t hidden = check_step(kind, gx, state, weights, attention);
  const Var gh = linear(state.h, weights.weight_hh, weights.bias_hh);  // [B, G·H]
  if (kind == CellKind::gru) return {gru_gates(gx, gh, state.h), Var()};
  const Var hc = lstm_gates(gx, gh, state.c);  // [B, 2H]: h' | c'
  Var h = narrow(hc, 1, 0, hidden);            // [B, H]
  if (weights.weight_hr.defined()) h = linear(h, weights.weight_hr);  // [B, H_out]
  return {h, narrow(hc, 1, hidden, hidden)};
}

RecurrentState recurrent_step_composite(CellKind kind, const Var& gx, const RecurrentState& state,
                                        const StepWeights& weights, const Var& attention) {
  check_step(kind, gx, state, weights, attention);
  const Var gh = linear(state.h, weights.weight_hh, weights.bias_hh);  // [B, G·H]
  switch (kind) {
    case CellKind::rnn_tanh: return {tanh(add(gh, gx)), Var()};
    case CellKind::rnn_relu: return {relu(add(gh, gx)), Var()};
    case CellKind::lstm: {
      const std::vector<Var> g = chunk(add(gh, gx), 4, 1);  // 4 × [B, H]: i, f, g, o
      const Var i = sigmoid(g[0]), f = sigmoid(g[1]), cand = tanh(g[2]), o = sigmoid(g[3]);
      const Var c = add(mul(f, state.c), mul(i, cand));  // [B, H]
      Var h = mul(o, tanh(c));                           // [B, H]
      if (weights.weight_hr.defined()) h = linear(h, weights.weight_hr);  // [B, H_out]
      return {h, c};
    }
    case CellKind::gru:
    case CellKind::augru: {
      const std::vector<Var> x = chunk(gx, 3, 1), r_z_n = chunk(gh, 3, 1);  // 3 × [B, H]: r, z, n
      const Var r = sigmoid(add(r_z_n[0], x[0]));
      const Var z = sigmoid(add(r_z_n[1], x[1]));
      const Var n = tanh(add(x[2], mul(r_z_n[2], r)));
      if (kind == CellKind::gru) return {add(mul(sub(state.h, n), z), n), Var()};  // n + z⊙(h − n)
      const Var a = reshape(attention, {gx.size(0), 1});                           // [B, 1]
      const Var u = mul(a, one_minus(z));                                          // [B, H]
      return {add(state.h, mul(u, sub(n, state.h))), Var()};                       // h + u⊙(n − h)
    }
  }
  return {};
}

}  // namespace attend::nn
