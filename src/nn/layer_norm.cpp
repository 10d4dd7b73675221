// LayerNorm: ones/zeros affine parameters, then attend::layer_norm.
#include "attend/nn/layer_norm.hpp"

#include <algorithm>

#include "attend/ops/normalization.hpp"

namespace attend::nn {

namespace {

const LayerNormOptions& checked(const LayerNormOptions& o) {
  ATTEND_CHECK(!o.normalized_shape.empty(), "LayerNorm: normalized_shape must have at least one dim");
  ATTEND_CHECK(std::all_of(o.normalized_shape.begin(), o.normalized_shape.end(), [](int64_t n) { return n > 0; }),
               "LayerNorm: normalized_shape extents must be positive, got {}", shape_str(o.normalized_shape));
  ATTEND_CHECK(o.eps >= 0.0, "LayerNorm: eps must be non-negative, got {}", o.eps);
  return o;
}

}  // namespace

LayerNorm::LayerNorm(const LayerNormOptions& options)
    : options_(checked(options)),
      weight_(register_parameter(
          "weight", options_.elementwise_affine ? Tensor::ones(options_.normalized_shape) : Tensor())),
      bias_(register_parameter("bias", options_.elementwise_affine && options_.bias
                                           ? Tensor::zeros(options_.normalized_shape)
                                           : Tensor())) {}

Var LayerNorm::forward(const Var& x) const {
  const Shape& ns = options_.normalized_shape;
  const auto rank = static_cast<int64_t>(ns.size());
  ATTEND_CHECK(x.dim() >= rank && Shape(x.shape().end() - rank, x.shape().end()) == ns,
               "LayerNorm: the input's trailing dims must equal normalized_shape {}; input shape {}", shape_str(ns),
               shape_str(x.shape()));
  return layer_norm(x, ns, weight_, bias_, options_.eps);
}

}  // namespace attend::nn
