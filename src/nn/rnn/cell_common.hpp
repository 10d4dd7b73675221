// Private: what the four cell modules (RNNCell, LSTMCell, GRUCell, AUGRUCell) and the RNN module share: PyTorch's
// initialisation of recurrent parameters, and one checked step of a cell on a (possibly unbatched) input.
#pragma once

#include <cstdint>

#include "attend/nn/module.hpp"
#include "attend/nn/rnn/recurrent_cell.hpp"

namespace attend::nn::detail {

/// PyTorch's initialisation of every RNN parameter: U(-1/√H, 1/√H) with H = hidden_size, drawn from attend::Rng
/// stream `stream` of `seed` (each parameter of a module has its own stream, in registration order).
Tensor recurrent_uniform(const Shape& shape, int64_t hidden_size, uint64_t seed, uint64_t stream);

/// The parameters of one cell, registered as weight_ih [G·H, I], weight_hh [G·H, H], bias_ih, bias_hh [G·H]
/// (the biases absent when !bias).
struct CellParameters {
  const Var& weight_ih;
  const Var& weight_hh;
  const Var& bias_ih;
  const Var& bias_hh;
};
CellParameters register_cell_parameters(Module& module, CellKind kind, int64_t input_size, int64_t hidden_size,
                                        bool bias, uint64_t seed);

/// One step of a cell module: x [B, I] or unbatched [I]; state h [B, H] (and c for LSTM) or undefined (zeros), in
/// the same batchedness as x; attention [B] (or [] unbatched) for AUGRU. `module` names the cell in messages.
RecurrentState cell_forward(const char* module, CellKind kind, const CellParameters& p, const Var& x,
                            const RecurrentState& state, const Var& attention = Var());

}  // namespace attend::nn::detail
