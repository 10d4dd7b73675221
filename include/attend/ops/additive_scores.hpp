// Fused additive (Bahdanau) attention scores: e[b, i, j] = Σ_h v_h · tanh(wq[b, i, h] + uk[b, j, h]), the hot loop
// of AdditiveScore (nn/attention/additive_score.hpp) as one op with a hand-written backward. The composite
// (broadcast add [B, Tq, Tk, h], tanh, a GEMM with v) writes and reads four [B, Tq, Tk, h] tensors per call; this op
// keeps the [h] vector in registers and recomputes tanh in the backward instead of saving it.
//
// Backward, with G = dL/de and t = tanh(wq + uk):  p = G·v·(1 − t²);  d wq = Σ_j p,  d uk = Σ_i p,  d v = Σ_{b,i,j} G·t.
// Every sum has a fixed order (batch items in parallel, their partial sums of d v added in batch order), so results
// do not depend on the thread count. f32 uses the vectorised tanh of tensor/kernels/activation.hpp, f64 std::tanh.
//
// Shapes: wq [B, Tq, h] (the projected queries, bias included), uk [B, Tk, h] (the projected keys), v [1, h] (the
// weight of Linear(h, 1)) -> e [B, Tq, Tk]. With key_lengths (i64 [B]), e[b, i, j] = 0 for j ≥ key_lengths[b] and
// nothing is computed there: for keys a length mask drops anyway (a padded source costs no tanh).
//
// Usage:
//   Var e = additive_scores(linear_query(q), linear_context(keys), v.weight());   // [B, Tq, Tk]
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

/// Throws naming the argument and the shapes when B or h disagree, an operand is not of the rank above, or a key
/// length is outside [0, Tk].
Var additive_scores(const Var& wq, const Var& uk, const Var& v, const Tensor& key_lengths = Tensor());

}  // namespace attend
