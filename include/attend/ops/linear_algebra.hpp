// Differentiable matrix products through OpenBLAS (src/ops/linear_algebra.cpp).
//
// Forward and backward hand transposed views to BLAS as transposes, never as transposed copies. linear flattens
// the leading dims of x into rows, so its weight gradient is one GEMM over all B·T rows.
// Shapes: matmul a [..., M, K] @ b [..., K, N] -> [..., M, N] (batch dims broadcast, torch.matmul semantics; a 1-D a
//         is a row [1, K] and a 1-D b a column [K, 1], that dim dropped from the result);
//         linear x [..., in], weight [out, in], bias [out] (optional) -> [..., out]  (y = x Wᵀ + b, torch's layout).
// Errors (attend::Error) name the op, the argument and both shapes:
//   linear: input.shape[-1] must equal weight.shape[1] (in_features) (expected 64, got 32); input shape [2, 7, 32],
//   weight shape [16, 64]
// Usage:
//   Var y = linear(x, w, b);                                   // [B, T, C] -> [B, T, out]
//   Var scores = matmul(q, transpose(k, -1, -2));              // [B, H, Tq, D] @ [B, H, D, Tk] -> [B, H, Tq, Tk]
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

/// torch.matmul on Vars; both operands f32 or both f64.
Var matmul(const Var& a, const Var& b);
/// y = x Wᵀ + b; pass an undefined Var for no bias. Throws naming both shapes when x.shape[-1] != weight.shape[1].
Var linear(const Var& x, const Var& weight, const Var& bias = Var());

}  // namespace attend
