// RNNCell: one step of the Elman recurrent network, h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) with act = tanh or
// relu, as torch.nn.RNNCell (same options, parameter names, layouts and initialisation).
//
// Shapes: x [B, I] (or unbatched [I]), h [B, H] (or [H]) -> h' [B, H]. Parameters: weight_ih [H, I],
// weight_hh [H, H], bias_ih [H], bias_hh [H]; initialised U(-1/√H, 1/√H) (torch's default) from attend::Rng streams
// 0..3 of options.seed. The equations live in recurrent_cell.hpp (recurrent_step).
// Usage:
//   RNNCell cell({.input_size = 8, .hidden_size = 16, .nonlinearity = Nonlinearity::relu});
//   Var h;                                               // undefined: starts from zeros
//   for (const Var& x : steps) h = cell.forward(x, h);   // x [B, 8] -> h [B, 16]
#pragma once

#include <cstdint>

#include "attend/nn/rnn/cell_module.hpp"

namespace attend::nn {

enum class Nonlinearity { tanh, relu };

struct RNNCellOptions {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  bool bias = true;
  Nonlinearity nonlinearity = Nonlinearity::tanh;
  uint64_t seed = 0;  ///< initialisation streams
};

class RNNCell : public CellModule {
 public:
  explicit RNNCell(const RNNCellOptions& options)
      : CellModule("RNNCell", options.nonlinearity == Nonlinearity::relu ? CellKind::rnn_relu : CellKind::rnn_tanh,
                   {options.input_size, options.hidden_size, options.bias, options.seed}),
        options_(options) {}

  /// x [B, I] (or [I]), h [B, H] (or [H]; undefined: zeros) -> h' of h's shape. Throws naming the argument and the
  /// shapes when x.shape[-1] != input_size or h does not fit x.
  Var forward(const Var& x, const Var& h = Var()) const { return step(x, {h, Var()}).h; }
  Var operator()(const Var& x, const Var& h = Var()) const { return forward(x, h); }
  const RNNCellOptions& options() const { return options_; }

 private:
  RNNCellOptions options_;
};

}  // namespace attend::nn
