// Dropout (Srivastava et al. 2014) as a module: inverted dropout while training, the identity in eval mode.
//
// Each training forward zeroes elements with probability p and scales the rest by 1/(1 − p); the mask comes from
// the module's own attend::Rng (seeded from options.seed), which advances on every call, so a run is reproducible.
// Shapes: out = x.shape. No parameters.
// Usage:
//   Dropout drop({.p = 0.1});
//   Var y = drop.forward(x);      // training: masked and scaled
//   drop.eval();                  // now forward(x) returns x
#pragma once

#include <cstdint>

#include "attend/core/rng.hpp"
#include "attend/nn/module.hpp"

namespace attend::nn {

struct DropoutOptions {
  double p = 0.5;
  uint64_t seed = 0;
};

class Dropout : public Module {
 public:
  explicit Dropout(const DropoutOptions& options);

  /// x [...] -> same shape. Advances the mask generator when training and p > 0.
  Var forward(const Var& x);
  Var operator()(const Var& x) { return forward(x); }

  const DropoutOptions& options() const { return options_; }
  const Rng& rng() const { return rng_; }

 private:
  DropoutOptions options_;
  Rng rng_;
};

}  // namespace attend::nn
