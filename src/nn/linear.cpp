// Linear: PyTorch's initialisation, then attend::linear.
#include "attend/nn/linear.hpp"

#include <cmath>

#include "attend/ops/linear_algebra.hpp"

namespace attend::nn {

namespace {

const LinearOptions& checked(const LinearOptions& o) {
  ATTEND_CHECK(o.in_features >= 0 && o.out_features >= 0,
               "Linear: in_features and out_features must be non-negative (got {} and {})", o.in_features,
               o.out_features);
  return o;
}

// kaiming_uniform_(a=√5) gives bound gain·√(3/fan_in) with gain √(2/(1+5)), that is 1/√fan_in; torch's bias bound
// is the same 1/√fan_in (0 when fan_in is 0).
double init_bound(int64_t fan_in) { return fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0; }

}  // namespace

Linear::Linear(const LinearOptions& options)
    : options_(checked(options)),
      weight_(register_parameter("weight", [&] {
        Rng rng(options_.seed);
        const double bound = init_bound(options_.in_features);
        return Tensor::uniform({options_.out_features, options_.in_features}, rng, -bound, bound);
      }())),
      bias_(register_parameter("bias", [&] {
        if (!options_.bias) return Tensor();
        Rng rng(options_.seed, /*stream=*/1);
        const double bound = init_bound(options_.in_features);
        return Tensor::uniform({options_.out_features}, rng, -bound, bound);
      }())) {}

Var Linear::forward(const Var& x) const {
  ATTEND_CHECK(x.dim() >= 1 && x.size(-1) == options_.in_features,
               "Linear: input.shape[-1] must equal in_features (expected {}, got {}); input shape {}",
               options_.in_features, x.dim() >= 1 ? x.size(-1) : 0, shape_str(x.shape()));
  return linear(x, weight_, bias_);
}

}  // namespace attend::nn
