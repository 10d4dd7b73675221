// Layer normalisation: the fused op (one pass per row forward, one backward with hand-written gradients) and right
// below it the composition of differentiable ops it must match (layer_norm_composite, the reference). Each row is
// computed by one thread and the weight / bias gradients sum the rows in order, so results do not depend on the
// thread count.
#include "attend/ops/normalization.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "attend/autograd/node.hpp"
#include "attend/core/threads.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/reduce.hpp"

namespace attend {

namespace {

void check_affine(const Var& p, const char* name, const Var& x, const Shape& normalized_shape) {
  if (!p.defined()) return;
  ATTEND_CHECK(p.shape() == normalized_shape, "layer_norm: {} shape {} must equal normalized_shape {}; input shape {}",
               name, shape_str(p.shape()), shape_str(normalized_shape), shape_str(x.shape()));
  ATTEND_CHECK(p.dtype() == x.dtype(), "layer_norm: {} is {} but the input is {}", name, dtype_name(p.dtype()),
               dtype_name(x.dtype()));
}

void check_layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight, const Var& bias, double eps) {
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
}

// Σ_j term(j) over [0, C) in double as kSumLanes running sums (lane l takes j ≡ l mod kSumLanes, in order), added
// in lane order at the end: the loop vectorises, where one sum is a chain of C dependent adds (the whole-row
// latency made layer_norm 3.5% of a Transformer layer's forward). The order is fixed, so the result does not depend on
// the thread count.
constexpr int64_t kSumLanes = 16;

template <class Term>
double lane_sum(int64_t C, Term&& term) {
  double acc[kSumLanes] = {};
  int64_t j = 0;
  for (; j + kSumLanes <= C; j += kSumLanes)
    for (int64_t l = 0; l < kSumLanes; ++l) acc[l] += term(j + l);
  for (int64_t l = 0; j + l < C; ++l) acc[l] += term(j + l);
  double total = 0;
  for (const double a : acc) total += a;
  return total;
}

// One row of C: mean and 1 / sqrt(σ² + eps) (sums in double), then y = x̂ · w + b.
template <class T>
void norm_row(int64_t C, const T* __restrict x, const T* __restrict w, const T* __restrict b, double eps,
              T* __restrict y, T* mean_out, T* rstd_out) {
  const double mu = lane_sum(C, [&](int64_t j) { return static_cast<double>(x[j]); }) / static_cast<double>(C);
  const double sq = lane_sum(C, [&](int64_t j) {
    const double d = static_cast<double>(x[j]) - mu;
    return d * d;
  });
  const T m = static_cast<T>(mu), r = static_cast<T>(1.0 / std::sqrt(sq / static_cast<double>(C) + eps));
  for (int64_t j = 0; j < C; ++j) {
    const T h = (x[j] - m) * r;
    y[j] = (w != nullptr ? h * w[j] : h) + (b != nullptr ? b[j] : T{0});
  }
  *mean_out = m;
  *rstd_out = r;
}

// dx of one row with g = dy · w: dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)).
template <class T>
void norm_row_backward(int64_t C, const T* __restrict x, const T* __restrict dy, const T* __restrict w, T mean,
                       T rstd, T* __restrict dx) {
  auto g_of = [&](int64_t j) { return static_cast<double>(w != nullptr ? dy[j] * w[j] : dy[j]); };
  const double sg = lane_sum(C, g_of);
  const double sgx = lane_sum(C, [&](int64_t j) { return g_of(j) * static_cast<double>((x[j] - mean) * rstd); });
  const T a = static_cast<T>(sg / static_cast<double>(C)), c = static_cast<T>(sgx / static_cast<double>(C));
  for (int64_t j = 0; j < C; ++j) {
    const T g = w != nullptr ? dy[j] * w[j] : dy[j];
    dx[j] = rstd * (g - a - (x[j] - mean) * rstd * c);
  }
}

}  // namespace

// layer_norm: y = (x − μ) / sqrt(σ² + eps) · weight + bias, μ and biased σ² over the trailing C elements of each row;
// keeps μ and rstd per row [R] for the backward. With x̂ = (x − μ) · rstd and g = dy · weight:
//   dx = rstd · (g − mean_row(g) − x̂ · mean_row(g · x̂));  dweight = Σ_rows dy · x̂;  dbias = Σ_rows dy
ATTEND_REGISTER_OP("layer_norm");
Var layer_norm(const Var& x_in, const Shape& normalized_shape, const Var& weight, const Var& bias, double eps) {
  check_layer_norm(x_in, normalized_shape, weight, bias, eps);
  const Tensor x = x_in.value().contiguous();
  const int64_t C = numel(normalized_shape), R = C == 0 ? 0 : x.numel() / C;
  const Tensor w = weight.defined() ? weight.value().contiguous() : Tensor();
  const Tensor b = bias.defined() ? bias.value().contiguous() : Tensor();
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  Tensor stats = Tensor::empty({2, R}, x.dtype());  // μ, rstd
  dispatch_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const T *px = x.data<T>(), *pw = w.defined() ? w.data<T>() : nullptr, *pb = b.defined() ? b.data<T>() : nullptr;
    T *py = y.data<T>(), *ps = stats.data<T>();
    parallel_for(R, parallel_worth(R, R * C), [&](int64_t r) {
      norm_row<T>(C, px + r * C, pw, pb, eps, py + r * C, ps + r, ps + R + r);
    });
  });
  std::vector<Var> inputs{x_in};
  const size_t wi = weight.defined() ? inputs.size() : 0;
  if (weight.defined()) inputs.push_back(weight);
  const size_t bi = bias.defined() ? inputs.size() : 0;
  if (bias.defined()) inputs.push_back(bias);
  return make_result(
      y, inputs,
      [x, w, stats, normalized_shape, C, R, wi, bi](const Tensor& grad, Grads& grads) {
        const Tensor dy = grad.contiguous();
        dispatch_floating(dy.dtype(), "layer_norm", [&](auto tag) {
          using T = decltype(tag);
          const T *px = x.data<T>(), *pd = dy.data<T>(), *pw = w.defined() ? w.data<T>() : nullptr;
          const T *mu = stats.data<T>(), *rs = stats.data<T>() + R;
          if (grads.needs(0)) {
            Tensor dx = Tensor::empty(x.shape(), x.dtype());
            T* pdx = dx.data<T>();
            parallel_for(R, parallel_worth(R, R * C), [&](int64_t r) {
              norm_row_backward<T>(C, px + r * C, pd + r * C, pw, mu[r], rs[r], pdx + r * C);
            });
            grads[0] = dx;
          }
          if (wi != 0 && grads.needs(wi)) {  // Σ_rows dy · x̂, rows in order, accumulated in double
            std::vector<double> acc(static_cast<size_t>(C), 0.0);
            for (int64_t r = 0; r < R; ++r)
              for (int64_t j = 0; j < C; ++j)
                acc[static_cast<size_t>(j)] += static_cast<double>(pd[r * C + j] * ((px[r * C + j] - mu[r]) * rs[r]));
            Tensor dw = Tensor::empty(normalized_shape, x.dtype());
            std::copy(acc.begin(), acc.end(), dw.data<T>());
            grads[wi] = dw;
          }
        });
        if (bi != 0 && grads.needs(bi)) grads[bi] = sum(dy.view({R, C}), {0}).view(normalized_shape);  // Σ_rows dy
      },
      "layer_norm");
}

// layer_norm_composite: the same function composed of mean, sub, mul, add_scalar and pow (their gradients by the
// tape): the reference the fused op is tested against.
ATTEND_REGISTER_OP("layer_norm_composite");
Var layer_norm_composite(const Var& x, const Shape& normalized_shape, const Var& weight, const Var& bias,
                         double eps) {
  check_layer_norm(x, normalized_shape, weight, bias, eps);
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
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
