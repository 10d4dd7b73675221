// Parity: run a PyTorch reference fixture (docs in fixtures.md, format "attend-parity-1") against attend and report
// how far attend's outputs and gradients are from PyTorch's.
//
// A fixture is one safetensors file: the module name and constructor kwargs in its metadata, the PyTorch weights as
// `param.<state_dict key>`, the inputs, PyTorch's outputs and (with grad) cotangents and gradients. A runner, looked
// up by module name, builds the attend module from the kwargs, loads the weights through ParityCase::load and runs
// the forward; the harness compares every listed output with |got − want| ≤ atol + rtol·|want| and, with grad,
// backpropagates loss = Σ sum(output ⊙ cotangent.<output>) and compares grad.input.* and grad.param.*.
// Nothing here throws on a bad file: every problem becomes a FileReport with status error, its kind and a reason.
//
// Usage:
//   FileReport r = run_parity_file("tests/golden/linear_bias_2d.safetensors");
//   for (const TensorReport& t : r.tensors) fmt::print("{} {} {}\n", t.name, t.max_abs, t.pass);
//   register_parity_module("attend.MyLayer", [](ParityCase& c) { ... return outputs; });   // extend the registry
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/core/error.hpp"
#include "attend/io/safetensors.hpp"
#include "attend/parity/arguments.hpp"

namespace attend::nn {
class Module;
}

namespace attend::parity {

inline constexpr const char* kFixtureFormat = "attend-parity-1";

/// Why a fixture could not be compared.
enum class ErrorKind { unreadable, not_a_fixture, bad_metadata, unsupported, missing_tensor, shape_mismatch, failed };
/// "unreadable", "not_a_fixture", ..., "failed" (the attend run itself threw).
const char* error_kind_name(ErrorKind kind);

class ParityError : public Error {
 public:
  ParityError(ErrorKind kind, const std::string& message) : Error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

/// One fixture as a runner sees it: parsed metadata, typed access to its tensors, and the bookkeeping the harness
/// needs afterwards (which inputs were read, which parameters were loaded).
class ParityCase {
 public:
  /// Parses the metadata of `file`; `name` (usually the path) is used in messages. Throws ParityError.
  ParityCase(SafetensorsFile file, std::string name);

  const std::string& name() const { return name_; }
  const std::string& module_name() const { return module_; }
  const Arguments& kwargs() const { return kwargs_; }
  const Arguments& call() const { return call_; }
  const std::vector<std::string>& input_names() const { return inputs_; }
  const std::vector<std::string>& output_names() const { return outputs_; }
  double atol() const { return atol_; }
  double rtol() const { return rtol_; }
  bool grad() const { return grad_; }
  /// f64 when the metadata says "dtype": "f64" (or, without that key, when the outputs are stored as f64).
  DType dtype() const { return dtype_; }

  bool has_tensor(const std::string& key) const { return file_.tensors.contains(key); }
  /// The stored tensor `key` ("output.output"); throws ParityError (missing_tensor) naming it.
  const Tensor& tensor(const std::string& key) const;
  /// Whether `name` is listed in the metadata's `inputs`.
  bool has_input(const std::string& name) const;
  /// Input `input.<name>` as a leaf Var converted to dtype(); it requires a gradient when grad() is on. Marks it used.
  Var input(const std::string& name);
  /// Input `input.<name>` as stored (ids, lengths, masks). Marks it used.
  Tensor input_tensor(const std::string& name);
  /// Converts `module` to dtype() and loads every `param.<prefix><key>` of its state_dict strictly: a missing
  /// tensor, a `param.*` the module does not have, or a shape that differs is a ParityError.
  void load(nn::Module& module, const std::string& prefix = "");

  /// Throws ParityError (unsupported) when a listed input or a kwargs/call argument was never used.
  void check_all_used() const;
  const std::vector<std::pair<std::string, Var>>& differentiable_inputs() const { return grad_inputs_; }
  const std::vector<std::pair<std::string, Var>>& loaded_parameters() const { return loaded_params_; }

 private:
  SafetensorsFile file_;
  std::string name_, module_;
  Arguments kwargs_{"kwargs"}, call_{"call"};
  std::vector<std::string> inputs_, outputs_, used_inputs_;
  double atol_ = 1e-5, rtol_ = 1e-4;
  bool grad_ = false;
  DType dtype_ = DType::f32;
  std::vector<std::pair<std::string, Var>> grad_inputs_, loaded_params_;
};

/// What a runner returns: each output by its fixture name ("output", "attn_weights"), and optionally a u8 mask of
/// the same shape per output whose 1 entries are excluded from comparison (masked attention scores).
struct ParityOutputs {
  std::map<std::string, Var> values;
  std::map<std::string, Tensor> excluded;
};
using ParityRunner = std::function<ParityOutputs(ParityCase&)>;

/// Adds (or replaces) the runner for a module name ("torch.nn.MultiheadAttention").
void register_parity_module(const std::string& module, ParityRunner runner);
/// Every module name with a runner, sorted.
std::vector<std::string> parity_modules();

struct TensorReport {
  std::string name;  ///< "output.output", "grad.input.input", "grad.param.weight"
  Shape shape;
  double max_abs = 0.0;  ///< max |got − want|
  double max_rel = 0.0;  ///< max |got − want| / |want| over elements with want ≠ 0
  double atol = 0.0, rtol = 0.0;
  bool pass = false;
};

enum class Status { pass, fail, error };
const char* status_name(Status status);

struct FileReport {
  std::string file;
  std::string module;  ///< empty when the metadata could not be read
  Status status = Status::error;
  ErrorKind error_kind = ErrorKind::failed;  ///< meaningful when status is error
  std::string error;                         ///< the reason, when status is error
  std::vector<TensorReport> tensors;
};

/// Reads and runs one fixture file. Never throws on bad input.
FileReport run_parity_file(const std::string& path);
/// Runs a fixture already in memory; `name` labels the report.
FileReport run_parity(const SafetensorsFile& file, const std::string& name);

/// 0 when every file passed, 2 when any file had an error, otherwise 1 (a tensor out of tolerance).
int parity_exit_code(const std::vector<FileReport>& reports);
/// The reports as JSON text: {"files": [...], "summary": {...}}.
std::string reports_to_json(const std::vector<FileReport>& reports);

}  // namespace attend::parity
