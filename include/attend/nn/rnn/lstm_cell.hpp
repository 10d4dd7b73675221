// LSTMCell: one step of the long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et
// al. 2000), as torch.nn.LSTMCell (same options, parameter names, gate order i, f, g, o and initialisation).
//
//   i, f, g, o = σ, σ, tanh, σ of (x W_ihᵀ + b_ih + h W_hhᵀ + b_hh);  c' = f⊙c + i⊙g;  h' = o⊙tanh(c')
// Shapes: x [B, I] (or unbatched [I]), h and c [B, H] (or [H]) -> h', c' [B, H]. Parameters: weight_ih [4H, I],
// weight_hh [4H, H], bias_ih [4H], bias_hh [4H]; U(-1/√H, 1/√H) from attend::Rng streams 0..3 of options.seed.
// Usage:
//   LSTMCell cell({.input_size = 8, .hidden_size = 16});
//   RecurrentState s;                                    // undefined h, c: zeros
//   for (const Var& x : steps) s = cell.forward(x, s);   // x [B, 8] -> s.h, s.c [B, 16]
#pragma once

#include <cstdint>

#include "attend/nn/rnn/cell_module.hpp"

namespace attend::nn {

using LSTMCellOptions = CellOptions;

class LSTMCell : public CellModule {
 public:
  explicit LSTMCell(const LSTMCellOptions& options)
      : CellModule("LSTMCell", CellKind::lstm, options), options_(options) {}

  /// x [B, I] (or [I]); state.h, state.c [B, H] (or [H]; either undefined: zeros) -> {h', c'}. Throws naming the
  /// argument and the shapes when x.shape[-1] != input_size or a state does not fit x.
  RecurrentState forward(const Var& x, const RecurrentState& state = {}) const { return step(x, state); }
  RecurrentState operator()(const Var& x, const RecurrentState& state = {}) const { return forward(x, state); }
  const LSTMCellOptions& options() const { return options_; }

 private:
  LSTMCellOptions options_;
};

}  // namespace attend::nn
