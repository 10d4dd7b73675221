// Recurrent cells: the one-step equations of Elman RNN, LSTM (Hochreiter & Schmidhuber 1997), GRU (Cho et al. 2014)
// and AUGRU (Zhou et al. 2019, DIEN: the update gate scaled by an attention score), with PyTorch's gate order.
//
//   gx = x W_ihᵀ + b_ih                   [B, G·H]   (G = 1 RNN, 4 LSTM (i, f, g, o), 3 GRU/AUGRU (r, z, n))
//   gh = h W_hhᵀ + b_hh                   [B, G·H]
//   RNN:   h' = act(gx + gh)                                          act = tanh or relu
//   LSTM:  i, f, g, o = σ, σ, tanh, σ of (gx + gh);  c' = f⊙c + i⊙g;  h' = o⊙tanh(c')   (then h' W_hrᵀ with proj_size)
//   GRU:   r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r⊙gh_n);  h' = (1 − z)⊙n + z⊙h
//   AUGRU: as GRU with the update scaled by the attention score a [B]: u = a⊙(1 − z);  h' = (1 − u)⊙h + u⊙n
//          (a = 0 keeps h, a = 1 is the GRU)
//
// The input projection gx does not depend on the state, so sequence modules compute it for every step in one GEMM
// and call recurrent_step() per step; the cells (RNNCell, LSTMCell, GRUCell, AUGRUCell) call it on one input.
// GRU and LSTM run their gate nonlinearities as one fused op with a hand-written backward (ops/recurrent_gates.hpp);
// recurrent_step_composite is the same step as a composition of differentiable ops, kept as the reference.
#pragma once

#include <cstdint>
#include <string>

#include "attend/autograd/var.hpp"

namespace attend::nn {

enum class CellKind { rnn_tanh, rnn_relu, lstm, gru, augru };

/// The gate count G of a cell kind (rows of weight_ih are G·hidden_size).
int64_t gate_count(CellKind kind);
/// "rnn_tanh", "rnn_relu", "lstm", "gru", "augru".
const char* cell_kind_name(CellKind kind);
/// Parses the names above (and "rnn" = rnn_tanh); throws listing them.
CellKind parse_cell_kind(const std::string& name);

/// The state carried between steps: h [B, H_out] and, for LSTM, the cell c [B, H].
struct RecurrentState {
  Var h;
  Var c;  ///< LSTM only; undefined otherwise
};

/// The weights one step needs (the input projection is already applied).
struct StepWeights {
  Var weight_hh;  ///< [G·H, H_out]
  Var bias_hh;    ///< [G·H] or undefined
  Var weight_hr;  ///< LSTM proj_size: [H_out, H], or undefined
};

/// One step: gx [B, G·H] (= x W_ihᵀ + b_ih), state -> next state. `attention` [B] (or [B, 1]) is required for
/// AUGRU and must be undefined otherwise. Throws naming the argument and shapes when they do not fit.
RecurrentState recurrent_step(CellKind kind, const Var& gx, const RecurrentState& state, const StepWeights& weights,
                              const Var& attention = Var());
/// The same step composed of elementwise ops (no fused gates): the reference of recurrent_step's GRU and LSTM.
RecurrentState recurrent_step_composite(CellKind kind, const Var& gx, const RecurrentState& state,
                                        const StepWeights& weights, const Var& attention = Var());

}  // namespace attend::nn
