// Fused gate nonlinearities of one GRU or LSTM step: the elementwise half of recurrent_step (nn/rnn/recurrent_cell.hpp)
// as one op with a hand-written backward, instead of a dozen composed ops (each with its own tensor, tape node and
// pass over memory). The GEMMs (gx = x W_ihᵀ + b_ih for all steps at once, gh = h W_hhᵀ + b_hh per step) stay outside.
//
//   GRU (gates r, z, n):  r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r⊙gh_n), h' = n + z⊙(h − n)
//   LSTM (gates i, f, g, o): a = gx + gh; i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g); c' = f⊙c + i⊙g, h' = o⊙tanh(c')
//
// f32 uses the vectorised tanh/sigmoid of tensor/kernels/activation.hpp (as the composite ops do), f64 the exact ones.
// The composite formulas stay in recurrent_step_composite (nn/rnn/recurrent_cell.hpp); a unit test checks both agree
// in values and gradients.
//
// Shapes: gx, gh [B, G·H] (G = 3 GRU, 4 LSTM; gh includes bias_hh), h and c [B, H].
//
// Usage:
//   Var h_next = gru_gates(gx_t, linear(h, w_hh, b_hh), h);             // [B, H]
//   Var hc = lstm_gates(gx_t, linear(h, w_hh, b_hh), c);                // [B, 2H]: h' = hc[:, :H], c' = hc[:, H:]
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

/// GRU step: gx, gh [B, 3H], h [B, H] -> h' [B, H]. Throws naming the argument and shapes when they do not fit.
Var gru_gates(const Var& gx, const Var& gh, const Var& h);

/// LSTM step: gx, gh [B, 4H], c [B, H] -> [h' | c'] as one [B, 2H] tensor (narrow it; the halves' gradients meet
/// in one backward). Throws naming the argument and shapes when they do not fit.
Var lstm_gates(const Var& gx, const Var& gh, const Var& c);

}  // namespace attend
