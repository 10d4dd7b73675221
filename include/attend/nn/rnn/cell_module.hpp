// CellModule: what the four cell modules (RNNCell, LSTMCell, GRUCell, AUGRUCell) share — PyTorch's parameters
// weight_ih [G·H, I], weight_hh [G·H, H], bias_ih, bias_hh [G·H] (G = gate_count(kind)), initialised
// U(-1/√H, 1/√H) from attend::Rng streams 0..3 of the seed, and one checked step on a batched [B, I] or unbatched
// [I] input. The equations are recurrent_step's (recurrent_cell.hpp); each cell only names its kind and its forward.
#pragma once

#include <cstdint>

#include "attend/nn/module.hpp"
#include "attend/nn/rnn/recurrent_cell.hpp"

namespace attend::nn {

/// The options of LSTMCell, GRUCell and AUGRUCell (RNNCell adds a nonlinearity).
struct CellOptions {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  bool bias = true;
  uint64_t seed = 0;  ///< initialisation streams
};

class CellModule : public Module {
 public:
  const Var& weight_ih() const { return weight_ih_; }
  const Var& weight_hh() const { return weight_hh_; }
  /// Undefined when constructed with .bias = false (as is bias_hh()).
  const Var& bias_ih() const { return bias_ih_; }
  const Var& bias_hh() const { return bias_hh_; }
  CellKind kind() const { return kind_; }

 protected:
  /// Registers the parameters; `name` ("GRUCell") names the cell in messages. Throws on non-positive sizes.
  CellModule(const char* name, CellKind kind, const CellOptions& options);
  /// x [B, I] or [I]; state h (and c for LSTM) [B, H] or [H], undefined = zeros; attention [B] for AUGRU.
  RecurrentState step(const Var& x, const RecurrentState& state, const Var& attention = Var()) const;

 private:
  const char* name_;
  CellKind kind_;
  Var weight_ih_, weight_hh_, bias_ih_, bias_hh_;
};

}  // namespace attend::nn
