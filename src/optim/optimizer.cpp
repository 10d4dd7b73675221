// Optimizer: the parameter list, the learning rate, zero_grad and the "state.<i>.<name>" key helpers.
#include "attend/optim/optimizer.hpp"

#include <cmath>
#include <string>

#include "attend/core/error.hpp"

namespace attend::optim {

Optimizer::Optimizer(std::vector<Var> parameters, double lr) : parameters_(std::move(parameters)), lr_(0.0) {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Var& p = parameters_[i];
    ATTEND_CHECK(p.defined(), "Optimizer: parameter {} is undefined", i);
    ATTEND_CHECK(p.is_leaf(), "Optimizer: parameter {} (shape {}) is not a leaf; optimizers update leaves only", i,
                 shape_str(p.shape()));
    ATTEND_CHECK(p.dtype() == DType::f32 || p.dtype() == DType::f64,
                 "Optimizer: parameter {} must be f32 or f64, got {} (shape {})", i, dtype_name(p.dtype()),
                 shape_str(p.shape()));
  }
  set_lr(lr);
}

void Optimizer::zero_grad() {
  for (const Var& p : parameters_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  ATTEND_CHECK(std::isfinite(lr) && lr >= 0.0, "Optimizer: lr must be a finite non-negative number, got {}", lr);
  lr_ = lr;
}

std::string Optimizer::state_key(size_t index, const std::string& name) {
  return "state." + std::to_string(index) + "." + name;
}

std::pair<size_t, std::string> Optimizer::parse_state_key(const std::string& key, const char* op) const {
  const std::string prefix = "state.";
  const size_t dot = key.find('.', prefix.size());
  ATTEND_CHECK(key.starts_with(prefix) && dot != std::string::npos && dot > prefix.size() && dot + 1 < key.size(),
               "{}: state key '{}' is not of the form state.<index>.<name>", op, key);
  const std::string digits = key.substr(prefix.size(), dot - prefix.size());
  ATTEND_CHECK(digits.find_first_not_of("0123456789") == std::string::npos && digits.size() <= 9,
               "{}: state key '{}' has a parameter index that is not a number", op, key);
  const size_t index = std::stoul(digits);
  ATTEND_CHECK(index < parameters_.size(), "{}: state key '{}' names parameter {}, but the optimizer has {} parameters",
               op, key, index, parameters_.size());
  return {index, key.substr(dot + 1)};
}

}  // namespace attend::optim
