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

#include "attend/nn/rnn/cell_module.hpp"

namespace attend::nn {

using GRUCellOptions = CellOptions;

class GRUCell : public CellModule {
 public:
  explicit GRUCell(const GRUCellOptions& options) : CellModule("GRUCell", CellKind::gru, options), options_(options) {}

  /// x [B, I] (or [I]), h [B, H] (or [H]; undefined: zeros) -> h' of h's shape. Throws naming the argument and the
  /// shapes when x.shape[-1] != input_size or h does not fit x.
  Var forward(const Var& x, const Var& h = Var()) const { return step(x, {h, Var()}).h; }
  Var operator()(const Var& x, const Var& h = Var()) const { return forward(x, h); }
  const GRUCellOptions& options() const { return options_; }

 private:
  GRUCellOptions options_;
};

}  // namespace attend::nn
