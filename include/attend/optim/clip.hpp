// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_ (PyTorch 1.13; Pascanu et al. 2013,
// "On the difficulty of training recurrent neural networks", for clipping by the global norm).
//
// clip_grad_norm: N = √(Σ over every element of every defined gradient of g²), accumulated in f64; when
// c = max_norm / (N + 1e-6) is below 1, every gradient is multiplied by c. One difference from torch: when N is inf or
// NaN, torch (error_if_nonfinite = False) still multiplies the gradients by c (0 or NaN); here they are left untouched
// and N is returned, so the caller can see the overflow and skip the step.
// clip_grad_value: every gradient element is clamped to [−clip_value, clip_value] (NaN stays NaN).
// Both change the gradients in place (a gradient shared with another tensor changes there too, as in torch); a
// non-contiguous gradient is replaced by a contiguous clipped copy. Parameters without a gradient are skipped.
//
// Usage:
//   loss.backward();
//   double norm = clip_grad_norm(model.parameters(), 1.0);   // the norm before clipping
//   optim.step();
#pragma once

#include <vector>

#include "attend/autograd/var.hpp"

namespace attend::optim {

/// Scales the gradients so their global 2-norm is at most max_norm (see above); returns the norm before clipping.
/// max_norm = inf only measures the norm. Throws naming the argument when max_norm is not a number > 0, a parameter
/// is undefined or a gradient is not f32/f64.
double clip_grad_norm(const std::vector<Var>& parameters, double max_norm);

/// Clamps every gradient element to [−clip_value, clip_value]. Throws naming the argument when clip_value is not a
/// finite number > 0, a parameter is undefined or a gradient is not f32/f64.
void clip_grad_value(const std::vector<Var>& parameters, double clip_value);

}  // namespace attend::optim
