// A whole GRU or LSTM layer (one or both directions) as one op: the time loop of nn::RNN with the recurrent GEMM, the
// fused gates (ops/recurrent_gates.hpp) and the state update of every step inside one forward, and backpropagation
// through time inside one backward. The tape holds one node per layer instead of ~6 per step and direction, the step
// GEMMs write into preallocated buffers (f32: kernels::row_gemm on the recurrent weight packed once per call, where
// OpenBLAS repacked it every step), and the recurrent weight gradient is one GEMM over all steps
// (dW_hh = Σ_t dĝ_tᵀ h_{t−1} as [G·H, T·B] × [T·B, H]) instead of T GEMMs with inner dimension B.
//
// Lengths without padding work: running[t] is how many rows run at time t, and the rows running are always the
// first ones (nn::RNN sorts the batch longest first). Rows past running[t] are left alone: forward (t = 0 .. T−1)
// they have ended and keep their final state; backwards in time (t = T−1 .. 0) they have not started yet and keep
// their initial state. So running must be non-increasing in t, every entry in [0, B].
//
// Directions: D = 1 (forward in time) or 2 (direction 1 runs backwards in time, as torch's bidirectional layers). Both
// directions are one op: their input projections are one GEMM (gx holds both), and on two threads they run side by
// side (each direction on its own thread, computing exactly what one thread computes).
//
// Shapes: gx [T, B, D·G·H] (x W_ihᵀ + b_ih of every step, direction d at columns d·G·H; G = 3 GRU, 4 LSTM),
// weight_hh D × [G·H, H], bias_hh D × [G·H] or empty, h0 and c0 D × [B, H]. The result stacks the outputs and the
// final states along dim 0, the directions side by side in the last dim (torch's layout):
//   gru_layer  -> [T + 1, B, D·H]: rows 0 .. T−1 the outputs (0 where a row is not running), row T h_n
//   lstm_layer -> [T + 2, B, D·H]: the same, then row T + 1 c_n
// Formulas and operation order are those of the one-step ops, so the result equals the step-by-step composition
// (nn::recurrent_step) to rounding; a unit test checks values and gradients, a gradcheck row the op in f64.
// nn::RNN uses these ops for GRU and LSTM without proj_size; ATTEND_RNN_IMPL=steps makes it run the steps instead.
//
// Usage:
//   Var all = lstm_layer(linear(x, w_ih, b_ih), {w_hh}, {b_hh}, {h0}, {c0}, running);   // [T + 2, B, H]
//   Var y = narrow(all, 0, 0, T), h_n = select(all, 0, T), c_n = select(all, 0, T + 1);
#pragma once

#include <cstdint>
#include <vector>

#include "attend/autograd/var.hpp"

namespace attend {

/// GRU layer, D = weight_hh.size() directions (see above). Throws naming the argument and shapes when they do not fit.
Var gru_layer(const Var& gx, const std::vector<Var>& weight_hh, const std::vector<Var>& bias_hh,
              const std::vector<Var>& h0, const std::vector<int64_t>& running);

/// LSTM layer without projection, D = weight_hh.size() directions (see above). Throws naming the argument and shapes
/// when they do not fit.
Var lstm_layer(const Var& gx, const std::vector<Var>& weight_hh, const std::vector<Var>& bias_hh,
               const std::vector<Var>& h0, const std::vector<Var>& c0, const std::vector<int64_t>& running);

}  // namespace attend
