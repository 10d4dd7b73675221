// Rotary position embedding: f64 angle tables, then x · cos + rotate_half(x) · sin with differentiable ops.
#include "attend/nn/attention/rotary.hpp"

#include <cmath>

#include "attend/core/error.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/shape.hpp"

namespace attend::nn {

std::pair<Tensor, Tensor> rotary_tables(int64_t T, int64_t D, int64_t offset, double base, DType dtype) {
  ATTEND_CHECK(T >= 0 && D >= 0 && D % 2 == 0, "rotary_tables: D must be even and T, D non-negative (got T {}, D {})",
               T, D);
  ATTEND_CHECK(offset >= 0, "rotary_tables: offset must be >= 0, got {}", offset);
  ATTEND_CHECK(base > 0.0, "rotary_tables: base must be > 0, got {}", base);
  const int64_t half = D / 2;
  Tensor cos = Tensor::empty({T, D}, DType::f64);
  Tensor sin = Tensor::empty({T, D}, DType::f64);
  double* c = cos.data<double>();
  double* s = sin.data<double>();
  for (int64_t i = 0; i < half; ++i) {
    const double theta = std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(D));
    for (int64_t t = 0; t < T; ++t) {
      const double angle = static_cast<double>(offset + t) * theta;
      c[t * D + i] = c[t * D + i + half] = std::cos(angle);
      s[t * D + i] = s[t * D + i + half] = std::sin(angle);
    }
  }
  return {cos.to(dtype), sin.to(dtype)};
}

Var apply_rotary(const Var& x, int64_t offset, double base) {
  ATTEND_CHECK(x.defined() && x.dim() == 4, "apply_rotary: x must be [B, H, T, D], got shape {}",
               x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  const int64_t T = x.size(2), D = x.size(3);
  ATTEND_CHECK(D % 2 == 0, "apply_rotary: the head width D must be even to pair coordinates, got D = {}; x shape {}", D,
               shape_str(x.shape()));
  ATTEND_CHECK(offset >= 0, "apply_rotary: offset must be >= 0, got {}; x shape {}", offset, shape_str(x.shape()));
  ATTEND_CHECK(base > 0.0, "apply_rotary: base must be > 0, got {}", base);
  const auto [cos, sin] = rotary_tables(T, D, offset, base, x.dtype());  // [T, D] each
  const int64_t half = D / 2;
  const Var x1 = narrow(x, 3, 0, half);                                    // [B, H, T, D/2]
  const Var x2 = narrow(x, 3, half, half);                                 // [B, H, T, D/2]
  const Var rotated = concat({neg(x2), x1}, 3);                            // [B, H, T, D]
  return add(mul(x, Var(cos)), mul(rotated, Var(sin)));                    // [B, H, T, D]
}

}  // namespace attend::nn
