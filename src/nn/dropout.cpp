// Dropout module: the train flag and a private Rng around attend::dropout.
#include "attend/nn/dropout.hpp"

#include "attend/ops/dropout.hpp"

namespace attend::nn {

Dropout::Dropout(const DropoutOptions& options) : options_(options), rng_(options.seed) {
  ATTEND_CHECK(options.p >= 0.0 && options.p <= 1.0, "Dropout: p must lie in [0, 1], got {}", options.p);
}

Var Dropout::forward(const Var& x) { return dropout(x, options_.p, is_training(), rng_); }

}  // namespace attend::nn
