// Inverted dropout (Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks from Overfitting")
// with a Philox mask (src/ops/dropout.cpp).
//
// In training, each element is kept with probability 1 − p and scaled by 1 / (1 − p); dropped elements are
// exactly 0.
// A call reserves x.numel() words of `rng` (rng.advance) and keeps element i (row-major) iff
// rng.word_at(first + i) >= round(p · 2^32), so the mask is a function of (seed, stream, offset + i) only and does
// not depend on the thread count. p = 1 gives zeros. Not training, or p = 0: returns x itself and leaves rng alone.
// p outside [0, 1] (or NaN) throws attend::Error. Gradient: the same mask times 1 / (1 − p).
// Shapes: out = x.shape.
//   Rng rng(seed);
//   Var h = dropout(x, 0.1, /*training=*/true, rng);     // [B, T, C]
#pragma once

#include "attend/autograd/var.hpp"
#include "attend/core/rng.hpp"

namespace attend {

Var dropout(const Var& x, double p, bool training, Rng& rng);

}  // namespace attend
