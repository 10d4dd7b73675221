// Differentiable matrix products through OpenBLAS (src/ops/linear_algebra.cpp).
//
// Backward passes use transposed views (BLAS transposes), never transposed copies.
// Shapes: matmul a [..., M, K] @ b [..., K, N] -> [..., M, N] (batch dims broadcast, torch.matmul semantics);
//         linear x [..., in], weight [out, in], bias [out] (optional) -> [..., out]  (y = x Wᵀ + b, torch's layout).
//   Var y = linear(x, w, b);
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

Var matmul(const Var& a, const Var& b);
/// y = x Wᵀ + b; pass an undefined Var for no bias. Throws naming both shapes when x.shape[-1] != weight.shape[1].
Var linear(const Var& x, const Var& weight, const Var& bias = Var());

}  // namespace attend
