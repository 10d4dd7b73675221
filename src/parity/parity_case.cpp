// ParityCase: the fixture's metadata parsed and checked, typed access to its tensors, strict weight loading.
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "attend/nn/module.hpp"
#include "attend/parity/parity.hpp"

namespace attend::parity {

namespace {

const std::string* find_meta(const SafetensorsFile& file, const std::string& key) {
  auto it = file.metadata.find(key);
  return it == file.metadata.end() ? nullptr : &it->second;
}

std::vector<std::string> parse_name_list(const std::string& text, const char* key) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ParityError(ErrorKind::bad_metadata, fmt::format("metadata '{}' is not valid JSON: {}", key, e.what()));
  }
  std::vector<std::string> out;
  if (!j.is_array()) {
    throw ParityError(ErrorKind::bad_metadata, fmt::format("metadata '{}' must be a JSON list of names, got {}", key, text));
  }
  for (const auto& item : j) {
    if (!item.is_string()) {
      throw ParityError(ErrorKind::bad_metadata, fmt::format("metadata '{}' must list names (strings), got {}", key, text));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

double parse_tolerance(const std::string* text, double fallback, const char* key) {
  if (text == nullptr) return fallback;
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !(v >= 0.0)) {
    throw ParityError(ErrorKind::bad_metadata,
                      fmt::format("metadata '{}' must be a non-negative number, got \"{}\"", key, *text));
  }
  return v;
}

}  // namespace

ParityCase::ParityCase(SafetensorsFile file, std::string name) : file_(std::move(file)), name_(std::move(name)) {
  const std::string* format = find_meta(file_, "format");
  if (format == nullptr) {
    throw ParityError(ErrorKind::not_a_fixture,
                      fmt::format("no 'format' metadata: not a parity fixture (expected format \"{}\")", kFixtureFormat));
  }
  if (*format != kFixtureFormat) {
    throw ParityError(ErrorKind::not_a_fixture,
                      fmt::format("metadata format is \"{}\", expected \"{}\"", *format, kFixtureFormat));
  }
  const std::string* module = find_meta(file_, "module");
  if (module == nullptr || module->empty()) throw ParityError(ErrorKind::bad_metadata, "metadata 'module' is missing");
  module_ = *module;
  if (const auto* k = find_meta(file_, "kwargs")) kwargs_ = Arguments::parse(*k, "kwargs");
  if (const auto* c = find_meta(file_, "call")) call_ = Arguments::parse(*c, "call");
  if (const auto* in = find_meta(file_, "inputs")) inputs_ = parse_name_list(*in, "inputs");
  const std::string* outputs = find_meta(file_, "outputs");
  if (outputs == nullptr) throw ParityError(ErrorKind::bad_metadata, "metadata 'outputs' is missing");
  outputs_ = parse_name_list(*outputs, "outputs");
  if (outputs_.empty()) throw ParityError(ErrorKind::bad_metadata, "metadata 'outputs' lists no output");
  atol_ = parse_tolerance(find_meta(file_, "atol"), 1e-5, "atol");
  rtol_ = parse_tolerance(find_meta(file_, "rtol"), 1e-4, "rtol");
  if (const auto* g = find_meta(file_, "grad")) {
    if (*g == "1" || *g == "true") grad_ = true;
    else if (*g == "0" || *g == "false" || g->empty()) grad_ = false;
    else throw ParityError(ErrorKind::bad_metadata, fmt::format("metadata 'grad' must be \"1\" or \"0\", got \"{}\"", *g));
  }
  if (const auto* d = find_meta(file_, "dtype")) {
    if (*d == "f64") dtype_ = DType::f64;
    else if (*d == "f32") dtype_ = DType::f32;
    else throw ParityError(ErrorKind::unsupported, fmt::format("metadata dtype \"{}\" is not supported (f32 or f64)", *d));
  } else {
    auto first = file_.tensors.find("output." + outputs_.front());
    if (first != file_.tensors.end() && first->second.dtype() == DType::f64) dtype_ = DType::f64;
  }
}

const Tensor& ParityCase::tensor(const std::string& key) const {
  auto it = file_.tensors.find(key);
  if (it == file_.tensors.end()) {
    throw ParityError(ErrorKind::missing_tensor, fmt::format("missing tensor '{}'", key));
  }
  return it->second;
}

bool ParityCase::has_input(const std::string& name) const {
  return std::find(inputs_.begin(), inputs_.end(), name) != inputs_.end();
}

Tensor ParityCase::input_tensor(const std::string& name) {
  const Tensor& t = tensor("input." + name);
  used_inputs_.push_back(name);
  return t;
}

Var ParityCase::input(const std::string& name) {
  Tensor t = input_tensor(name);
  if (!is_floating(t.dtype())) {
    throw ParityError(ErrorKind::bad_metadata,
                      fmt::format("tensor 'input.{}' must be f32 or f64, got {}", name, dtype_name(t.dtype())));
  }
  Var v(t.to(dtype_).clone(), grad_);
  if (grad_) grad_inputs_.emplace_back(name, v);
  return v;
}

void ParityCase::load(nn::Module& module, const std::string& prefix) {
  module.to(dtype_);
  const std::string head = "param." + prefix;
  std::map<std::string, Tensor> state;
  for (const auto& [key, t] : file_.tensors) {
    if (key.starts_with(head)) state.emplace(key.substr(head.size()), t);
  }
  const std::map<std::string, Tensor> own = module.state_dict();
  std::vector<std::string> unexpected;
  for (const auto& [key, t] : own) {
    auto it = state.find(key);
    if (it == state.end()) throw ParityError(ErrorKind::missing_tensor, fmt::format("missing tensor '{}{}'", head, key));
    if (it->second.shape() != t.shape()) {
      throw ParityError(ErrorKind::shape_mismatch, fmt::format("tensor '{}{}' has shape {}, the {} module expects {}",
                                                               head, key, shape_str(it->second.shape()), module_,
                                                               shape_str(t.shape())));
    }
  }
  for (const auto& [key, t] : state) {
    if (!own.contains(key)) unexpected.push_back(head + key);
  }
  if (!unexpected.empty()) {
    throw ParityError(ErrorKind::unsupported, fmt::format("the attend {} built from kwargs {} has no parameter for {}",
                                                          module_, kwargs_.dump(), fmt::join(unexpected, ", ")));
  }
  module.load_state_dict(state, /*strict=*/true);
  for (auto& [key, var] : module.named_parameters()) loaded_params_.emplace_back(prefix + key, var);
}

void ParityCase::check_all_used() const {
  kwargs_.check_all_used(module_);
  call_.check_all_used(module_);
  std::vector<std::string> unused;
  for (const auto& name : inputs_) {
    if (std::find(used_inputs_.begin(), used_inputs_.end(), name) == used_inputs_.end()) unused.push_back(name);
  }
  if (!unused.empty()) {
    throw ParityError(ErrorKind::unsupported,
                      fmt::format("inputs not supported by attend's {} runner: {}", module_, fmt::join(unused, ", ")));
  }
}

}  // namespace attend::parity
