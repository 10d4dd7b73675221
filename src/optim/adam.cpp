// Adam / AdamW: one fused, vectorised loop per parameter in the parameter's dtype, torch.optim's order of operations.
#include "attend/optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "attend/core/error.hpp"
#include "attend/core/threads.hpp"

namespace attend::optim {

namespace {

const AdamOptions& checked(const AdamOptions& o) {
  ATTEND_CHECK(std::isfinite(o.lr) && o.lr >= 0.0, "Adam: lr must be a finite non-negative number, got {}", o.lr);
  ATTEND_CHECK(o.beta1 >= 0.0 && o.beta1 < 1.0, "Adam: beta1 must be in [0, 1), got {}", o.beta1);
  ATTEND_CHECK(o.beta2 >= 0.0 && o.beta2 < 1.0, "Adam: beta2 must be in [0, 1), got {}", o.beta2);
  ATTEND_CHECK(std::isfinite(o.eps) && o.eps >= 0.0, "Adam: eps must be a finite non-negative number, got {}", o.eps);
  ATTEND_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0,
               "Adam: weight_decay must be a finite non-negative number, got {}", o.weight_decay);
  return o;
}

struct Coefficients {
  double lr, beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt;
  bool decoupled, amsgrad;
};

// One parameter of n elements: p, g, m, v (and vmax with amsgrad) are contiguous arrays of the same dtype. The
// arithmetic is in T, in torch.optim's order (f32 parameters: f32 math, as torch does), and the options are template
// parameters, so the loop has no branch and vectorises (sqrt and division included).
template <class T, bool kDecoupled, bool kCoupledDecay, bool kAmsgrad>
void update_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax,
                 int64_t n, const Coefficients& c) {
  const T b1 = static_cast<T>(c.beta1), a1 = static_cast<T>(1.0 - c.beta1);
  const T b2 = static_cast<T>(c.beta2), a2 = static_cast<T>(1.0 - c.beta2);
  const T wd = static_cast<T>(c.weight_decay), shrink = static_cast<T>(1.0 - c.lr * c.weight_decay);
  const T bc2 = static_cast<T>(c.bias_correction2_sqrt), eps = static_cast<T>(c.eps);
  const T step = static_cast<T>(c.step_size);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i];
    T gi = g[i];
    if constexpr (kDecoupled) pi *= shrink;         // AdamW: param.mul_(1 - lr·wd)
    if constexpr (kCoupledDecay) gi = gi + wd * pi;  // Adam: grad.add(param, alpha=wd)
    const T mi = m[i] * b1 + a1 * gi;               // exp_avg.mul_(β1).add_(grad, alpha=1 - β1)
    const T vi = v[i] * b2 + a2 * gi * gi;          // exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1 - β2)
    m[i] = mi;
    v[i] = vi;
    T second = vi;
    if constexpr (kAmsgrad) {
      second = std::max(vmax[i], vi);
      vmax[i] = second;
    }
    const T denom = std::sqrt(second) / bc2 + eps;  // (sqrt(v) / sqrt(bias_correction2)).add_(eps)
    p[i] = pi - step * (mi / denom);                // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

template <class T>
void update_range(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const Coefficients& c) {
  const bool coupled = !c.decoupled && c.weight_decay != 0.0;
  if (c.amsgrad) {
    if (c.decoupled) update_loop<T, true, false, true>(p, g, m, v, vmax, n, c);
    else if (coupled) update_loop<T, false, true, true>(p, g, m, v, vmax, n, c);
    else update_loop<T, false, false, true>(p, g, m, v, vmax, n, c);
  } else {
    if (c.decoupled) update_loop<T, true, false, false>(p, g, m, v, vmax, n, c);
    else if (coupled) update_loop<T, false, true, false>(p, g, m, v, vmax, n, c);
    else update_loop<T, false, false, false>(p, g, m, v, vmax, n, c);
  }
}

// The update is memory-bound (p, g, m, v read, p, m, v written): a large parameter is split into fixed chunks that
// run on the thread pool. The chunks do not depend on the thread count, so neither does any element's arithmetic.
// (A seq2seq step with an 8000-word vocabulary spent ~5% of its 2-thread time in a one-thread Adam.)
template <class T>
void update(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const Coefficients& c) {
  constexpr int64_t kChunk = int64_t{1} << 15;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  parallel_for(chunks, parallel_worth(chunks, n), [&](int64_t k) {
    const int64_t lo = k * kChunk, len = std::min(kChunk, n - lo);
    update_range(p + lo, g + lo, m + lo, v + lo, vmax == nullptr ? nullptr : vmax + lo, len, c);
  });
}

}  // namespace

Adam::Adam(std::vector<Var> parameters, const AdamOptions& options)
    : Optimizer(std::move(parameters), checked(options).lr), options_(options) {
  state_.resize(this->parameters().size());
}

void Adam::step() {
  NoGradGuard no_grad;
  const std::vector<Var>& params = parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    const Var& p = params[i];
    if (!p.grad().defined()) continue;
    const Tensor& value = p.value();
    const Tensor grad = p.grad().contiguous();
    ATTEND_CHECK(grad.shape() == value.shape() && grad.dtype() == value.dtype(),
                 "Adam: the gradient of parameter {} must match it (parameter {} {}, gradient {} {})", i,
                 dtype_name(value.dtype()), shape_str(value.shape()), dtype_name(grad.dtype()),
                 shape_str(grad.shape()));
    ParamState& s = state_[i];
    if (s.step == 0) {
      s.exp_avg = Tensor::zeros(value.shape(), value.dtype());
      s.exp_avg_sq = Tensor::zeros(value.shape(), value.dtype());
      if (options_.amsgrad) s.max_exp_avg_sq = Tensor::zeros(value.shape(), value.dtype());
    }
    s.step += 1;
    const double t = static_cast<double>(s.step);
    const Coefficients c{.lr = lr(),
                         .beta1 = options_.beta1,
                         .beta2 = options_.beta2,
                         .eps = options_.eps,
                         .weight_decay = options_.weight_decay,
                         .step_size = lr() / (1.0 - std::pow(options_.beta1, t)),
                         .bias_correction2_sqrt = std::sqrt(1.0 - std::pow(options_.beta2, t)),
                         .decoupled = options_.decoupled_weight_decay,
                         .amsgrad = options_.amsgrad};
    // Parameters are contiguous in practice; a strided one is updated through a contiguous copy.
    const Tensor work = value.is_contiguous() ? value : value.contiguous();
    const int64_t n = value.numel();
    if (value.dtype() == DType::f32) {
      update(work.data<float>(), grad.data<float>(), s.exp_avg.data<float>(), s.exp_avg_sq.data<float>(),
             options_.amsgrad ? s.max_exp_avg_sq.data<float>() : nullptr, n, c);
    } else {
      update(work.data<double>(), grad.data<double>(), s.exp_avg.data<double>(), s.exp_avg_sq.data<double>(),
             options_.amsgrad ? s.max_exp_avg_sq.data<double>() : nullptr, n, c);
    }
    if (!value.is_contiguous()) value.copy_(work);
  }
}

std::map<std::string, Tensor> Adam::state_dict() const {
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < state_.size(); ++i) {
    const ParamState& s = state_[i];
    if (s.step == 0) continue;
    out[state_key(i, "step")] = Tensor::scalar(static_cast<double>(s.step), DType::f64);
    out[state_key(i, "exp_avg")] = s.exp_avg.clone();
    out[state_key(i, "exp_avg_sq")] = s.exp_avg_sq.clone();
    if (options_.amsgrad) out[state_key(i, "max_exp_avg_sq")] = s.max_exp_avg_sq.clone();
  }
  return out;
}

void Adam::load_state_dict(const std::map<std::string, Tensor>& state) {
  const std::vector<Var>& params = parameters();
  std::vector<ParamState> loaded(params.size());
  std::vector<int> seen(params.size(), 0);  // bit per entry: step 1, exp_avg 2, exp_avg_sq 4, max_exp_avg_sq 8
  for (const auto& [key, tensor] : state) {
    const auto [i, name] = parse_state_key(key, "Adam::load_state_dict");
    ATTEND_CHECK(tensor.defined(), "Adam::load_state_dict: '{}' is undefined", key);
    const Tensor& value = params[i].value();
    ParamState& s = loaded[i];
    if (name == "step") {
      ATTEND_CHECK(tensor.numel() == 1, "Adam::load_state_dict: '{}' must hold one number, got shape {}", key,
                   shape_str(tensor.shape()));
      const double step = tensor.to(DType::f64).reshape({1}).to_vector<double>()[0];
      ATTEND_CHECK(step >= 1 && step == std::floor(step), "Adam::load_state_dict: '{}' must be a positive integer, "
                   "got {}", key, step);
      s.step = static_cast<int64_t>(step);
      seen[i] |= 1;
      continue;
    }
    Tensor* slot = name == "exp_avg"      ? &s.exp_avg
                   : name == "exp_avg_sq" ? &s.exp_avg_sq
                   : name == "max_exp_avg_sq" && options_.amsgrad ? &s.max_exp_avg_sq
                                                                  : nullptr;
    ATTEND_CHECK(slot != nullptr, "Adam::load_state_dict: unknown state '{}' (expected step, exp_avg, exp_avg_sq{})",
                 key, options_.amsgrad ? ", max_exp_avg_sq" : "");
    ATTEND_CHECK(tensor.shape() == value.shape(),
                 "Adam::load_state_dict: '{}' has shape {} but parameter {} has shape {}", key,
                 shape_str(tensor.shape()), i, shape_str(value.shape()));
    ATTEND_CHECK(tensor.dtype() == DType::f32 || tensor.dtype() == DType::f64,
                 "Adam::load_state_dict: '{}' must be f32 or f64, got {}", key, dtype_name(tensor.dtype()));
    *slot = tensor.to(value.dtype()).clone();
    seen[i] |= name == "exp_avg" ? 2 : name == "exp_avg_sq" ? 4 : 8;
  }
  const int complete = options_.amsgrad ? 15 : 7;
  for (size_t i = 0; i < params.size(); ++i) {
    ATTEND_CHECK(seen[i] == 0 || seen[i] == complete,
                 "Adam::load_state_dict: the state of parameter {} is incomplete (needs step, exp_avg, exp_avg_sq{})",
                 i, options_.amsgrad ? ", max_exp_avg_sq" : "");
  }
  state_ = std::move(loaded);
}

AdamW::AdamW(std::vector<Var> parameters, const AdamWOptions& o)
    : Adam(std::move(parameters), {.lr = o.lr,
                                   .beta1 = o.beta1,
                                   .beta2 = o.beta2,
                                   .eps = o.eps,
                                   .weight_decay = o.weight_decay,
                                   .decoupled_weight_decay = true,
                                   .amsgrad = o.amsgrad}) {}

}  // namespace attend::optim
