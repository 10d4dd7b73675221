// Bridge: the decoder's initial state from the encoder's final states (the "bridge" of OpenNMT-py; Bahdanau et al.
// 2015 initialise the decoder with tanh(W_s h←_1), Cho et al. 2014 with tanh(V c)).
//
// Only the last encoder layer is used; its directions are concatenated: h_last = [h_fwd; h_bwd]  [B, D·He].
//   zeros:   h0 = 0 (and c0 = 0)
//   copy:    h0 = h_last (D·He must equal the decoder's H); c0 = c_last for an LSTM encoder and decoder, else 0
//   linear:  h0 = tanh(W_h h_last + b_h); c0 = tanh(W_c c_last + b_c) for an LSTM encoder and decoder, else 0
// Parameters (linear only): linear_h.weight [H, D·He], linear_h.bias [H], and for LSTM → LSTM linear_c.weight
// [H, D·He], linear_c.bias [H].
// Shapes: h_n, c_n [L·D, B, He] (PyTorch's layout, as RNN returns them) -> h0, c0 [B, H].
//
// Usage:
//   Bridge bridge({.kind = BridgeKind::linear, .encoder_hidden = 64, .bidirectional = true, .decoder_hidden = 128});
//   RecurrentState s0 = bridge.forward(enc.h_n, enc.c_n);          // s0.h [B, 128]
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attend/nn/linear.hpp"
#include "attend/nn/module.hpp"
#include "attend/nn/rnn/recurrent_cell.hpp"

namespace attend::nn {

enum class BridgeKind { zeros, copy, linear };
const char* bridge_kind_name(BridgeKind kind);
/// "zeros", "copy", "linear"; throws listing them.
BridgeKind parse_bridge_kind(const std::string& name);

struct BridgeOptions {
  BridgeKind kind = BridgeKind::linear;
  CellKind encoder_cell = CellKind::gru;
  int64_t encoder_hidden = 0;  ///< He, per direction (required, > 0)
  int64_t encoder_layers = 1;
  bool bidirectional = false;
  CellKind decoder_cell = CellKind::gru;
  int64_t decoder_hidden = 0;  ///< H (required, > 0)
  uint64_t seed = 0;
};

class Bridge : public Module {
 public:
  /// Throws naming the options when copy is asked for with D·He != H, or a size is not positive.
  explicit Bridge(const BridgeOptions& options);

  /// h_n [L·D, B, He] (and c_n for an LSTM encoder, else undefined) -> the decoder's initial h [B, H] (and c [B, H]
  /// for an LSTM decoder). Throws naming the argument and shapes when they do not fit.
  RecurrentState forward(const Var& h_n, const Var& c_n = Var()) const;

  const BridgeOptions& options() const { return options_; }

 private:
  /// The last layer's directions side by side: [L·D, B, He] -> [B, D·He].
  Var last_layer(const Var& states, const char* what) const;

  BridgeOptions options_;
  std::shared_ptr<Linear> linear_h_, linear_c_;
};

}  // namespace attend::nn
