// The parity harness: read, run the module's runner, compare outputs, backpropagate the cotangents, compare
// gradients. Every failure becomes a FileReport with status error.
#include <cmath>
#include <limits>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/parity/parity.hpp"
#include "builtin_runners.hpp"

namespace attend::parity {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::unreadable: return "unreadable";
    case ErrorKind::not_a_fixture: return "not_a_fixture";
    case ErrorKind::bad_metadata: return "bad_metadata";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::missing_tensor: return "missing_tensor";
    case ErrorKind::shape_mismatch: return "shape_mismatch";
    case ErrorKind::failed: return "failed";
  }
  return "failed";
}

const char* status_name(Status status) {
  switch (status) {
    case Status::pass: return "PASS";
    case Status::fail: return "FAIL";
    case Status::error: return "ERROR";
  }
  return "ERROR";
}

namespace {

// Compares got with want elementwise; `excluded` (u8, optional) marks elements to skip.
TensorReport compare(const std::string& name, const Tensor& got, const Tensor& want, const Tensor& excluded,
                     double atol, double rtol) {
  if (got.shape() != want.shape()) {
    throw ParityError(ErrorKind::shape_mismatch, fmt::format("'{}': attend gives shape {}, the fixture has {}", name,
                                                             shape_str(got.shape()), shape_str(want.shape())));
  }
  if (excluded.defined() && excluded.shape() != want.shape()) {
    throw ParityError(ErrorKind::failed, fmt::format("'{}': the runner's exclusion mask has shape {}, expected {}",
                                                     name, shape_str(excluded.shape()), shape_str(want.shape())));
  }
  TensorReport r;
  r.name = name;
  r.shape = want.shape();
  r.atol = atol;
  r.rtol = rtol;
  r.pass = true;
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  const std::vector<uint8_t> skip = excluded.defined() ? excluded.to(DType::u8).to_vector<uint8_t>()
                                                       : std::vector<uint8_t>(g.size(), 0);
  for (size_t i = 0; i < g.size(); ++i) {
    if (skip[i] != 0 || (std::isnan(g[i]) && std::isnan(w[i]))) continue;
    double err = std::abs(g[i] - w[i]);
    if (std::isnan(err)) err = std::numeric_limits<double>::infinity();  // NaN or mismatched infinities
    if (g[i] == w[i]) err = 0.0;                                         // equal infinities
    r.max_abs = std::max(r.max_abs, err);
    if (w[i] != 0.0) r.max_rel = std::max(r.max_rel, err / std::abs(w[i]));
    if (!(err <= atol + rtol * std::abs(w[i]))) r.pass = false;
  }
  return r;
}

Tensor grad_or_zeros(const Var& v) { return v.grad().defined() ? v.grad() : Tensor::zeros(v.shape(), v.dtype()); }

void run_case(ParityCase& c, FileReport& report) {
  const ParityRunner runner = find_parity_runner(c.module_name());
  ParityOutputs outs = runner(c);
  c.check_all_used();
  std::vector<Var> compared;
  for (const std::string& name : c.output_names()) {
    auto it = outs.values.find(name);
    if (it == outs.values.end() || !it->second.defined()) {
      throw ParityError(ErrorKind::unsupported,
                        fmt::format("output '{}' is not produced by attend's {} runner", name, c.module_name()));
    }
    auto ex = outs.excluded.find(name);
    report.tensors.push_back(compare("output." + name, it->second.value(), c.tensor("output." + name),
                                     ex == outs.excluded.end() ? Tensor() : ex->second, c.atol(), c.rtol()));
    compared.push_back(it->second);
  }
  if (!c.grad()) return;

  // loss = Σ_outputs sum(output ⊙ cotangent.<output>)
  Var loss;
  for (size_t i = 0; i < compared.size(); ++i) {
    const std::string key = "cotangent." + c.output_names()[i];
    const Tensor& cot = c.tensor(key);
    if (cot.shape() != compared[i].shape()) {
      throw ParityError(ErrorKind::shape_mismatch, fmt::format("'{}' has shape {}, the output has {}", key,
                                                               shape_str(cot.shape()), shape_str(compared[i].shape())));
    }
    if (!compared[i].requires_grad()) continue;  // e.g. an output that depends on no parameter or input
    Var term = sum(mul(compared[i], Var(cot.to(compared[i].dtype()))));
    loss = loss.defined() ? add(loss, term) : term;
  }
  if (loss.defined()) loss.backward();

  const std::string in_prefix = "grad.input.", param_prefix = "grad.param.";
  for (const std::string& name : c.input_names()) {
    if (!c.has_tensor(in_prefix + name)) continue;
    const Var* found = nullptr;
    for (const auto& [n, v] : c.differentiable_inputs()) found = n == name ? &v : found;
    if (found == nullptr) {
      throw ParityError(ErrorKind::unsupported,
                        fmt::format("'{}{}' is given but attend's {} runner has no gradient for input '{}'", in_prefix,
                                    name, c.module_name(), name));
    }
    report.tensors.push_back(compare(in_prefix + name, grad_or_zeros(*found), c.tensor(in_prefix + name), Tensor(),
                                     c.atol(), c.rtol()));
  }
  for (const auto& [key, var] : c.loaded_parameters()) {
    if (!c.has_tensor(param_prefix + key)) continue;
    report.tensors.push_back(compare(param_prefix + key, grad_or_zeros(var), c.tensor(param_prefix + key), Tensor(),
                                     c.atol(), c.rtol()));
  }
}

}  // namespace

FileReport run_parity(const SafetensorsFile& file, const std::string& name) {
  FileReport report;
  report.file = name;
  try {
    ParityCase c(file, name);
    report.module = c.module_name();
    run_case(c, report);
    report.status = Status::pass;
    for (const TensorReport& t : report.tensors) report.status = t.pass ? report.status : Status::fail;
  } catch (const ParityError& e) {
    report.status = Status::error;
    report.error_kind = e.kind();
    report.error = e.what();
  } catch (const std::exception& e) {  // attend::Error from the module itself, or bad_alloc
    report.status = Status::error;
    report.error_kind = ErrorKind::failed;
    report.error = e.what();
  }
  return report;
}

FileReport run_parity_file(const std::string& path) {
  SafetensorsFile file;
  try {
    file = read_safetensors(path);
  } catch (const std::exception& e) {
    FileReport report;
    report.file = path;
    report.error_kind = ErrorKind::unreadable;
    // The reader's messages start with the path, which the report already names.
    const std::string message = e.what(), prefix = path + ": ";
    report.error = message.starts_with(prefix) ? message.substr(prefix.size()) : message;
    return report;
  }
  return run_parity(file, path);
}

int parity_exit_code(const std::vector<FileReport>& reports) {
  int code = 0;
  for (const FileReport& r : reports) {
    if (r.status == Status::error) return 2;
    if (r.status == Status::fail) code = 1;
  }
  return code;
}

}  // namespace attend::parity
