// Rotary position embedding (Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary Position Embedding").
//
// Each query and key vector is rotated by an angle proportional to its position, pair of coordinates by pair, so the
// dot product of a query at position m with a key at position n depends on the vectors and on m − n only:
//   θ_i = base^(−2i / D),  i = 0 .. D/2 − 1
//   out = x · cos(p θ) + rotate_half(x) · sin(p θ),   rotate_half([x1, x2]) = [−x2, x1]
// where x1 and x2 are the first and second halves of the head dimension and cos/sin are repeated over both halves:
// coordinate i is paired with coordinate i + D/2 (the "rotate-half" pairing of GPT-NeoX and LLaMA, not the
// interleaved pairs (2i, 2i+1) of the RoFormer paper; the two differ by a fixed permutation of the weights).
// A rotation keeps the norm of every vector. The angles are computed in f64 and the rotation is a composition of
// differentiable ops (no hand-written backward).
//
// Shapes: x [B, H, T, D] (D even); position of time step t is offset + t. Output [B, H, T, D].
// Usage:
//   Var q_rot = apply_rotary(q, /*offset=*/0, 10000.0);            // q [B, H, Tq, D]
//   Var k_rot = apply_rotary(k_new, cache.length(), 10000.0);      // new keys continue the cached positions
#pragma once

#include <cstdint>
#include <utility>

#include "attend/autograd/var.hpp"

namespace attend::nn {

/// Rotates x [B, H, T, D] by positions offset .. offset + T − 1 (rotate-half pairing). Throws attend::Error naming
/// the shape when x is not rank 4, D is odd, offset is negative or base is not positive.
Var apply_rotary(const Var& x, int64_t offset, double base = 10000.0);

/// The rotation tables for T positions starting at `offset`: cos and sin, each [T, D] in `dtype` (each angle
/// repeated over both halves of D), as apply_rotary uses them.
std::pair<Tensor, Tensor> rotary_tables(int64_t T, int64_t D, int64_t offset, double base, DType dtype);

}  // namespace attend::nn
