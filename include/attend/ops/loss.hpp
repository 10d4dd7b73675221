// Cross entropy over class logits, as torch.nn.functional.cross_entropy (src/ops/loss.cpp).
//
// Shapes: logits [N, V] (or [B, T, V], flattened), target i64 [N] (or [B, T]). Targets equal to ignore_index add
// nothing and do not count in the mean; a mean over zero counted targets is 0. label_smoothing ε mixes the one-hot
// target with the uniform distribution (torch's definition). A target outside [0, V) that is not ignore_index throws
// naming the position and the value.
#pragma once

#include "attend/autograd/var.hpp"

namespace attend {

enum class Reduction { mean, sum, none };

struct CrossEntropyOptions {
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
  double label_smoothing = 0.0;
};

Var cross_entropy(const Var& logits, const Tensor& target, const CrossEntropyOptions& options = {});

}  // namespace attend
