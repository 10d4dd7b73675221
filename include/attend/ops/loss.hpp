// Cross entropy over class logits, as torch.nn.functional.cross_entropy with class ids (src/ops/loss.cpp).
//
// One fused primitive: a stable log-softmax per row, the negative log-likelihood of the target, label smoothing and
// the reduction, with the backward (softmax − q) · g / count, q = (1 − ε)·onehot(target) + ε/V.
// label_smoothing ε follows torch: loss = (1 − ε)·(−log p_target) + ε·mean over classes of (−log p).
// Targets equal to ignore_index add nothing (loss 0, gradient 0) and do not count in the mean.
// Deliberate difference from torch: a mean over zero counted targets is 0 (torch gives nan), gradient 0.
// Shapes: logits [N, V] or [B, T, V] (classes last; leading dims are rows), target i64 [N] or [B, T]
// (logits.shape without its last dim). Output: [] for mean and sum, target.shape for none.
// Errors (attend::Error): a target outside [0, V) that is not ignore_index (naming the position and the value),
// a target shape that does not match (naming both shapes), a non-i64 target, label_smoothing outside [0, 1].
//   Var loss = cross_entropy(logits, target, {.ignore_index = kPad, .label_smoothing = 0.1});
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
