// Inverted dropout (Srivastava et al. 2014) with a Philox mask (src/ops/dropout.cpp).
//
// In training, each element is kept with probability 1 − p and scaled by 1 / (1 − p); element i's keep decision is
// a function of (rng seed, stream, offset + i) only, so the mask does not depend on threads. Not training, or p = 0:
// the identity. p must lie in [0, 1]. Shapes: out = x.shape.
#pragma once

#include "attend/autograd/var.hpp"
#include "attend/core/rng.hpp"

namespace attend {

Var dropout(const Var& x, double p, bool training, Rng& rng);

}  // namespace attend
