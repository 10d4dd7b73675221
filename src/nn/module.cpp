// Module: the registry walk (dotted names), load_state_dict checks, train/eval, zero_grad and to(DType).
#include "attend/nn/module.hpp"

#include <fmt/ranges.h>

#include <algorithm>

namespace attend::nn {

namespace {
// Values of these dtypes convert into an f32 or f64 parameter (bf16 and f16 come from half-precision checkpoints).
bool is_float_kind(DType d) { return is_floating(d) || d == DType::bf16 || d == DType::f16; }
}  // namespace

void Module::check_new_name(const std::string& name, const char* what) const {
  ATTEND_CHECK(!name.empty() && name.find('.') == std::string::npos,
               "Module::{}: name '{}' must be non-empty and contain no '.'", what, name);
  const bool taken =
      std::any_of(parameters_.begin(), parameters_.end(), [&](const auto& e) { return e.name == name; }) ||
      std::any_of(buffers_.begin(), buffers_.end(), [&](const auto& e) { return e.name == name; }) ||
      std::any_of(children_.begin(), children_.end(), [&](const auto& c) { return c.first == name; });
  ATTEND_CHECK(!taken, "Module::{}: name '{}' is already registered in this module", what, name);
}

const Var& Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name, "register_parameter");
  ATTEND_CHECK(!value.defined() || is_floating(value.dtype()),
               "Module::register_parameter: parameter '{}' must be f32 or f64, got {}", name,
               dtype_name(value.dtype()));
  parameters_.push_back({name, value.defined() ? Var(std::move(value), requires_grad) : Var()});
  return parameters_.back().var;
}

const Tensor& Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name, "register_buffer");
  ATTEND_CHECK(value.defined(), "Module::register_buffer: buffer '{}' is an undefined tensor", name);
  buffers_.push_back({name, std::move(value)});
  return buffers_.back().value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "register_module");
  ATTEND_CHECK(module != nullptr, "Module::register_module: submodule '{}' is null", name);
  ATTEND_CHECK(module.get() != this, "Module::register_module: a module cannot contain itself ('{}')", name);
  children_.emplace_back(name, std::move(module));
}

std::vector<std::pair<std::string, Var>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Var>> out;
  for (const auto& e : parameters_) {
    if (e.var.defined()) out.emplace_back(e.name, e.var);
  }
  for (const auto& [child_name, child] : children_) {
    for (auto& [name, var] : child->named_parameters()) out.emplace_back(child_name + "." + name, std::move(var));
  }
  return out;
}

std::vector<Var> Module::parameters() const {
  std::vector<Var> out;
  for (auto& [name, var] : named_parameters()) out.push_back(std::move(var));
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& e : buffers_) out.emplace_back(e.name, e.value);
  for (const auto& [child_name, child] : children_) {
    for (auto& [name, t] : child->named_buffers()) out.emplace_back(child_name + "." + name, std::move(t));
  }
  return out;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  for (const auto& [name, var] : named_parameters()) out.emplace(name, var.value());
  for (const auto& [name, t] : named_buffers()) out.emplace(name, t);
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  const std::map<std::string, Tensor> own = state_dict();
  std::vector<std::string> missing, unexpected, problems;
  for (const auto& [name, target] : own) {
    auto found = state.find(name);
    if (found == state.end()) {
      missing.push_back(name);
      continue;
    }
    const Tensor& src = found->second;
    if (!src.defined()) {
      problems.push_back(fmt::format("'{}' is an undefined tensor", name));
    } else if (src.shape() != target.shape()) {
      problems.push_back(fmt::format("'{}' has shape {}, expected {}", name, shape_str(src.shape()),
                                     shape_str(target.shape())));
    } else if (src.dtype() != target.dtype() && !(is_float_kind(src.dtype()) && is_floating(target.dtype()))) {
      problems.push_back(fmt::format("'{}' has dtype {}, which cannot be converted to {}", name,
                                     dtype_name(src.dtype()), dtype_name(target.dtype())));
    }
  }
  for (const auto& [name, src] : state) {
    if (!own.contains(name)) unexpected.push_back(name);
  }
  if (strict && !missing.empty()) problems.push_back(fmt::format("missing keys: {}", fmt::join(missing, ", ")));
  if (strict && !unexpected.empty()) {
    problems.push_back(fmt::format("unexpected keys: {}", fmt::join(unexpected, ", ")));
  }
  ATTEND_CHECK(problems.empty(), "load_state_dict: {}", fmt::join(problems, "; "));
  for (const auto& [name, target] : own) {
    auto found = state.find(name);
    if (found != state.end()) target.copy_(found->second);
  }
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (auto& [name, var] : named_parameters()) var.zero_grad();
}

void Module::to(DType dtype) {
  ATTEND_CHECK(dtype == DType::f32 || dtype == DType::f64, "Module::to: dtype must be f32 or f64, got {}",
               dtype_name(dtype));
  for (auto& e : parameters_) {
    if (e.var.defined() && e.var.dtype() != dtype) e.var.set_value(e.var.value().to(dtype));
  }
  for (auto& e : buffers_) {
    if (is_floating(e.value.dtype()) && e.value.dtype() != dtype) e.value = e.value.to(dtype);
  }
  for (auto& [name, child] : children_) child->to(dtype);
}

}  // namespace attend::nn
