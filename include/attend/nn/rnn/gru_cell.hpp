// GRUCell: one step of the gated recurrent unit (Cho et al. 2014, "Learning Phrase Representations using RNN
// Encoder-Decoder"), as torch.nn.GRUCell (same options, parameter names, gate order r, z, n and initialisation).
//
//   r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr),  z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
//   n = tanh(x W_inᵀ + b_in + r⊙(h W_hnᵀ + b_hn)),  h' = (1 − z)⊙n + z⊙h
// Shapes: x [B, I] (or unbatched [I]), h [B, H] (or [H]) -> h' [B, H]. Parameters: weight_ih [3H, I],
// weight_hh [3H, H], bias_ih [3H], bias_hh [3H]; U(-1/√H, 1/√H) from attend::Rng streams 0..3 of options.seed.
// Usage:
//   GRUCell cell({.input_size = 8, .hidden_size = 16});
//   Var h;                                               // undefined: starts from zeros
//   for (const Var& x : steps) h = cell.forward(x, h);   // x [B, 8] -> h [B, 16]
#pragma once

#include <cstdint>

#include "attend/nn/module.hpp"
#include "attend/nn/rnn/recurrent_cell.hpp"

namespace attend::nn {

struct GRUCellOptions {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  bool bias = true;
  uint64_t seed = 0;  ///< initialisation streams
};

class GRUCell : public Module {
 public:
  explicit GRUCell(const GRUCellOptions& options);

  /// x [B, I] (or [I]), h [B, H] (or [H]; undefined: zeros) -> h' of h's shape. Throws naming the argument and the
  /// shapes when x.shape[-1] != input_size or h does not fit x.
  Var forward(const Var& x, const Var& h = Var()) const;
  Var operator()(const Var& x, const Var& h = Var()) const { return forward(x, h); }

  const Var& weight_ih() const { return weight_ih_; }
  const Var& weight_hh() const { return weight_hh_; }
  /// Undefined when constructed with .bias = false (as are bias_hh()).
  const Var& bias_ih() const { return bias_ih_; }
  const Var& bias_hh() const { return bias_hh_; }
  const GRUCellOptions& options() const { return options_; }

 private:
  GRUCellOptions options_;
  Var weight_ih_, weight_hh_, bias_ih_, bias_hh_;
};

}  // namespace attend::nn
