// Layer normalisation as a composition of differentiable ops: no hand-written backward (design rule 2).
#include "attend/ops/normalization.hpp"

#include <cmath>
#include <vector>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/registry.hpp"

namespace attend {

namespace {

void check_affine(const Var& p, const char* name, const Var& x, const Shape& normalized_shape) {
  if (!p.defined()) return;
  ATTEND_CHECK(p.shape() == normalized_shape, "layer_norm: {} shape {} must equal normalized_shape {}; input shape {}",
               name, shape_str(p.shape()), shape_str(normalized_shape), shape_str(x.shape()));
  ATTEND_CHECK(p.dtype() == x.dtype(), "layer_norm: {} is {} but the input is {}", name, dtype_name(p.dtype()),
               dtype_name(x.dtype()));
}

}  // namespace

// layer_norm: y = (x − μ) / sqrt(σ² + eps) · weight + bias, μ and biased σ² over the trailing dims (gradient by
// composition of mean, sub, mul, add_scalar, pow, add).
ATTEND_REGISTER_OP("layer_norm");
Var layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight, const Var& bias, double eps) {
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  ATTEND_CHECK(k >= 1, "layer_norm: normalized_shape must have at least one dim; input shape {}",
               shape_str(x.shape()));
  ATTEND_CHECK(is_floating(x.dtype()), "layer_norm: expected a floating input (f32 or f64), got {} with shape {}",
               dtype_name(x.dtype()), shape_str(x.shape()));
  const bool trailing_match =
      x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == normalized_shape;
  ATTEND_CHECK(trailing_match, "layer_norm: input shape {} must end with normalized_shape {}", shape_str(x.shape()),
               shape_str(normalized_shape));
  ATTEND_CHECK(std::isfinite(eps) && eps >= 0, "layer_norm: eps must be finite and >= 0, got {}", eps);
  check_affine(weight, "weight", x, normalized_shape);
  check_affine(bias, "bias", x, normalized_shape);

  std::vector<int64_t> dims;
  for (int64_t d = -k; d < 0; ++d) dims.push_back(d);
  const Var mu = mean(x, dims, true);                      // [..., 1 (k times)]
  const Var centered = sub(x, mu);                          // x.shape
  const Var var = mean(mul(centered, centered), dims, true);  // biased variance, [..., 1 (k times)]
  Var y = mul(centered, pow(add(var, eps), -0.5));         // x.shape
  if (weight.defined()) y = mul(y, weight);
  if (bias.defined()) y = add(y, bias);
  return y;
}

}  // namespace attend
