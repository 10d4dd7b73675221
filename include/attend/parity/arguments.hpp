// Arguments: the `kwargs` or `call` object of a parity fixture (a JSON object of constructor or forward arguments
// with PyTorch's names), read through typed getters that remember which keys a runner used.
//
// A runner reads every argument it understands and then calls check_all_used(): any argument left over is one the
// attend module cannot honour, so the fixture is reported as unsupported instead of being compared under the wrong
// configuration. JSON null counts as absent (PyTorch's None).
// Usage:
//   const int64_t in = kwargs.get_int("in_features");
//   const bool bias = kwargs.get_bool("bias", true);
//   kwargs.check_all_used();          // "unsupported kwargs for torch.nn.Linear: device"
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace attend::parity {

class Arguments {
 public:
  /// An empty argument object; `what` names it in messages ("kwargs", "call").
  explicit Arguments(std::string what = "kwargs");
  /// Parses a JSON object. Throws ParityError (bad_metadata) when the text is not a JSON object.
  static Arguments parse(const std::string& json_text, const std::string& what);

  /// True when the key is present and not null. Does not mark it used.
  bool has(const std::string& key) const;
  /// Required integer; throws bad_metadata when absent or not an integer.
  int64_t get_int(const std::string& key) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  /// An integer or a list of integers (torch's `normalized_shape` accepts both); required.
  std::vector<int64_t> get_int_list(const std::string& key) const;
  /// Marks a key as used without reading it (arguments that do not change the computation).
  void ignore(const std::string& key) const;

  /// Throws ParityError (unsupported) listing the keys that no getter read, naming `module`. A null value (PyTorch's
  /// None, the default of most arguments) is not an error.
  void check_all_used(const std::string& module) const;
  /// The JSON text, compact.
  std::string dump() const;

 private:
  struct Json;
  const Json& at(const std::string& key, const char* expected) const;
  std::string what_;
  std::shared_ptr<const Json> json_;
  mutable std::set<std::string> used_;
};

}  // namespace attend::parity
