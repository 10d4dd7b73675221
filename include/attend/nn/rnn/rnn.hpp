// RNN, LSTM, GRU over whole sequences, compatible with torch.nn.RNN / LSTM / GRU (same options, parameter names,
// layouts and results), with variable lengths handled inside: no sorting or packing by the caller.
//
//   for each layer l, direction d: h_t = cell(x_t W_ihᵀ + b_ih, h_{t−1})       (recurrent_cell.hpp)
//   input of layer l > 0 = the concatenated directions of layer l − 1 (dropout between layers while training)
//
// Lengths: with `lengths` (i64 [B], 1 ≤ lengths[b] ≤ T), item b's steps t ≥ lengths[b] are padding: its state does
// not change there (the reverse direction starts at lengths[b] − 1), its outputs there are exactly 0, and h_n / c_n
// hold each item's true last state — the same numbers as running each item alone. Truncated BPTT: pass the final
// state, detached, as the next chunk's initial state.
//
// Parameters (PyTorch's names): weight_ih_l{k}[_reverse] [G·H, I or D·H_out], weight_hh_l{k}[_reverse] [G·H, H_out],
// bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] [G·H], and with proj_size (LSTM) weight_hr_l{k}[_reverse] [H_out, H],
// H_out = proj_size or H. A PyTorch RNN/LSTM/GRU state_dict saved as safetensors loads directly.
//
// Shapes (batch_first, attend's default): input [B, T, I] -> output [B, T, D·H_out]; h_n [L·D, B, H_out],
// c_n [L·D, B, H] (PyTorch's layout, also with batch_first); initial states in the same layouts.
// With batch_first = false (PyTorch's default): input [T, B, I], output [T, B, D·H_out].
//
// Usage:
//   RNN lstm({.mode = CellKind::lstm, .input_size = 32, .hidden_size = 64, .num_layers = 2, .bidirectional = true});
//   RecurrentOutput out = lstm.forward(x, lengths);          // x [B, T, 32] -> out.output [B, T, 128]
//   RecurrentOutput next = lstm.forward(x2, lengths2, {out.h_n.detach(), out.c_n.detach()});   // truncated BPTT
#pragma once

#include <cstdint>
#include <vector>

#include "attend/core/rng.hpp"
#include "attend/nn/module.hpp"
#include "attend/nn/rnn/recurrent_cell.hpp"

namespace attend::nn {

struct RecurrentOptions {
  CellKind mode = CellKind::lstm;  ///< rnn_tanh, rnn_relu, lstm, gru (augru is a cell only)
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = true;  ///< PyTorch's default is false
  double dropout = 0.0;     ///< between layers, in training mode
  bool bidirectional = false;
  int64_t proj_size = 0;    ///< LSTM only
  uint64_t seed = 0;
};

struct RecurrentOutput {
  Var output;  ///< [B, T, D·H_out] (or [T, B, D·H_out]); zeros at padded steps
  Var h_n;     ///< [L·D, B, H_out]
  Var c_n;     ///< [L·D, B, H], LSTM only
};

class RNN : public Module {
 public:
  explicit RNN(const RecurrentOptions& options);

  /// `lengths` i64 [B] may be undefined (every item has T steps). `initial` h [L·D, B, H_out] (and c for LSTM) may
  /// be undefined (zeros). Throws naming the argument and shapes on a wrong input width, lengths outside [1, T],
  /// or initial states of the wrong shape.
  RecurrentOutput forward(const Var& input, const Tensor& lengths = Tensor(), const RecurrentState& initial = {});

  const RecurrentOptions& options() const { return options_; }
  int64_t num_directions() const { return options_.bidirectional ? 2 : 1; }
  int64_t output_size() const { return options_.proj_size > 0 ? options_.proj_size : options_.hidden_size; }

 private:
  struct LayerWeights {
    Var weight_ih, weight_hh, bias_ih, bias_hh, weight_hr;
  };
  RecurrentOptions options_;
  std::vector<LayerWeights> weights_;  // index layer·D + direction
  Rng rng_;                            // dropout between layers
};

/// torch.nn.LSTM / GRU spelled as attend options: LSTM(...) is RNN with mode lstm.
inline RecurrentOptions lstm_options(int64_t input_size, int64_t hidden_size) {
  return {.mode = CellKind::lstm, .input_size = input_size, .hidden_size = hidden_size};
}
inline RecurrentOptions gru_options(int64_t input_size, int64_t hidden_size) {
  return {.mode = CellKind::gru, .input_size = input_size, .hidden_size = hidden_size};
}

}  // namespace attend::nn
