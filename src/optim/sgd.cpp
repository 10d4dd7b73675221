// Sgd: one loop per parameter (f64 arithmetic per element), torch.optim.SGD's order of operations.
#include "attend/optim/sgd.hpp"

#include <cmath>

#include "attend/core/error.hpp"

namespace attend::optim {

namespace {

const SgdOptions& checked(const SgdOptions& o) {
  ATTEND_CHECK(std::isfinite(o.lr) && o.lr >= 0.0, "Sgd: lr must be a finite non-negative number, got {}", o.lr);
  ATTEND_CHECK(std::isfinite(o.momentum) && o.momentum >= 0.0,
               "Sgd: momentum must be a finite non-negative number, got {}", o.momentum);
  ATTEND_CHECK(std::isfinite(o.dampening), "Sgd: dampening must be a finite number, got {}", o.dampening);
  ATTEND_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0,
               "Sgd: weight_decay must be a finite non-negative number, got {}", o.weight_decay);
  ATTEND_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
               "Sgd: nesterov needs momentum > 0 and dampening 0, got momentum {} and dampening {}", o.momentum,
               o.dampening);
  return o;
}

struct Coefficients {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, first;  // first: the buffer is created from this step's gradient
};

// One parameter of n elements: p, g (and buf with momentum, else nullptr) are contiguous arrays of the same dtype.
template <class T>
void update(T* p, const T* g, T* buf, int64_t n, const Coefficients& c) {
  for (int64_t i = 0; i < n; ++i) {
    double gi = g[i];
    if (c.weight_decay != 0.0) gi += c.weight_decay * static_cast<double>(p[i]);
    if (buf != nullptr) {
      buf[i] = c.first ? static_cast<T>(gi) : static_cast<T>(c.momentum * buf[i] + (1.0 - c.dampening) * gi);
      gi = c.nesterov ? gi + c.momentum * buf[i] : static_cast<double>(buf[i]);
    }
    p[i] = static_cast<T>(p[i] - c.lr * gi);
  }
}

}  // namespace

Sgd::Sgd(std::vector<Var> parameters, const SgdOptions& options)
    : Optimizer(std::move(parameters), checked(options).lr), options_(options) {
  momentum_buffer_.resize(this->parameters().size());
}

void Sgd::step() {
  NoGradGuard no_grad;
  const std::vector<Var>& params = parameters();
  const bool with_momentum = options_.momentum != 0.0;
  for (size_t i = 0; i < params.size(); ++i) {
    const Var& p = params[i];
    if (!p.grad().defined()) continue;
    const Tensor& value = p.value();
    const Tensor grad = p.grad().contiguous();
    ATTEND_CHECK(grad.shape() == value.shape() && grad.dtype() == value.dtype(),
                 "Sgd: the gradient of parameter {} must match it (parameter {} {}, gradient {} {})", i,
                 dtype_name(value.dtype()), shape_str(value.shape()), dtype_name(grad.dtype()),
                 shape_str(grad.shape()));
    Tensor& buf = momentum_buffer_[i];
    const bool first = with_momentum && !buf.defined();
    if (first) buf = Tensor::empty(value.shape(), value.dtype());
    const Coefficients c{.lr = lr(),
                         .momentum = options_.momentum,
                         .dampening = options_.dampening,
                         .weight_decay = options_.weight_decay,
                         .nesterov = options_.nesterov,
                         .first = first};
    // Parameters are contiguous in practice; a strided one is updated through a contiguous copy.
    const Tensor work = value.is_contiguous() ? value : value.contiguous();
    const int64_t n = value.numel();
    if (value.dtype() == DType::f32) {
      update(work.data<float>(), grad.data<float>(), with_momentum ? buf.data<float>() : nullptr, n, c);
    } else {
      update(work.data<double>(), grad.data<double>(), with_momentum ? buf.data<double>() : nullptr, n, c);
    }
    if (!value.is_contiguous()) value.copy_(work);
  }
}

std::map<std::string, Tensor> Sgd::state_dict() const {
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < momentum_buffer_.size(); ++i) {
    if (momentum_buffer_[i].defined()) out[state_key(i, "momentum_buffer")] = momentum_buffer_[i].clone();
  }
  return out;
}

void Sgd::load_state_dict(const std::map<std::string, Tensor>& state) {
  const std::vector<Var>& params = parameters();
  std::vector<Tensor> loaded(params.size());
  for (const auto& [key, tensor] : state) {
    const auto [i, name] = parse_state_key(key, "Sgd::load_state_dict");
    ATTEND_CHECK(name == "momentum_buffer" && options_.momentum != 0.0,
                 "Sgd::load_state_dict: unknown state '{}' ({})", key,
                 options_.momentum != 0.0 ? "expected momentum_buffer" : "this Sgd has momentum 0 and keeps no state");
    ATTEND_CHECK(tensor.defined(), "Sgd::load_state_dict: '{}' is undefined", key);
    const Tensor& value = params[i].value();
    ATTEND_CHECK(tensor.shape() == value.shape(),
                 "Sgd::load_state_dict: '{}' has shape {} but parameter {} has shape {}", key,
                 shape_str(tensor.shape()), i, shape_str(value.shape()));
    ATTEND_CHECK(tensor.dtype() == DType::f32 || tensor.dtype() == DType::f64,
                 "Sgd::load_state_dict: '{}' must be f32 or f64, got {}", key, dtype_name(tensor.dtype()));
    loaded[i] = tensor.to(value.dtype()).clone();
  }
  momentum_buffer_ = std::move(loaded);
}

}  // namespace attend::optim
