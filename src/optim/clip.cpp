// Gradient clipping by global norm and by value: plain loops over each gradient, f64 accumulation.
#include "attend/optim/clip.hpp"

#include <cmath>

#include "attend/core/error.hpp"

namespace attend::optim {

namespace {

// The defined gradients, checked: f32 or f64, each parameter defined.
std::vector<size_t> with_gradients(const std::vector<Var>& parameters, const char* op) {
  std::vector<size_t> out;
  for (size_t i = 0; i < parameters.size(); ++i) {
    ATTEND_CHECK(parameters[i].defined(), "{}: parameter {} is undefined", op, i);
    const Tensor& g = parameters[i].grad();
    if (!g.defined()) continue;
    ATTEND_CHECK(g.dtype() == DType::f32 || g.dtype() == DType::f64,
                 "{}: the gradient of parameter {} must be f32 or f64, got {} (shape {})", op, i, dtype_name(g.dtype()),
                 shape_str(g.shape()));
    out.push_back(i);
  }
  return out;
}

// Applies f to every element of the gradient of `p`, in place (or on a contiguous copy that replaces it).
template <class F>
void transform_gradient(const Var& p, F&& f) {
  const Tensor& grad = p.grad();
  const Tensor work = grad.is_contiguous() ? grad : grad.contiguous();
  const int64_t n = work.numel();
  if (work.dtype() == DType::f32) {
    float* g = work.data<float>();
    for (int64_t i = 0; i < n; ++i) g[i] = static_cast<float>(f(static_cast<double>(g[i])));
  } else {
    double* g = work.data<double>();
    for (int64_t i = 0; i < n; ++i) g[i] = f(g[i]);
  }
  if (!grad.is_contiguous()) p.set_grad(work);
}

template <class T>
double sum_of_squares(const T* g, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  return sum;
}

}  // namespace

double clip_grad_norm(const std::vector<Var>& parameters, double max_norm) {
  ATTEND_CHECK(max_norm > 0.0, "clip_grad_norm: max_norm must be a number > 0 (inf: measure only), got {}", max_norm);
  const std::vector<size_t> indices = with_gradients(parameters, "clip_grad_norm");
  double sum = 0.0;
  for (size_t i : indices) {
    const Tensor g = parameters[i].grad().contiguous();
    sum += g.dtype() == DType::f32 ? sum_of_squares(g.data<float>(), g.numel())
                                   : sum_of_squares(g.data<double>(), g.numel());
  }
  const double total = std::sqrt(sum);
  if (!std::isfinite(total)) return total;
  const double coefficient = max_norm / (total + 1e-6);
  if (coefficient < 1.0) {
    for (size_t i : indices) transform_gradient(parameters[i], [coefficient](double g) { return g * coefficient; });
  }
  return total;
}

void clip_grad_value(const std::vector<Var>& parameters, double clip_value) {
  ATTEND_CHECK(std::isfinite(clip_value) && clip_value > 0.0,
               "clip_grad_value: clip_value must be a finite number > 0, got {}", clip_value);
  for (size_t i : with_gradients(parameters, "clip_grad_value")) {
    transform_gradient(parameters[i], [clip_value](double g) {
      return g < -clip_value ? -clip_value : g > clip_value ? clip_value : g;  // NaN fails both tests: kept
    });
  }
}

}  // namespace attend::optim
