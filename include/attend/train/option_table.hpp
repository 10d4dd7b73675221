// OptionTable: each option declared once (name, field, default, help), read from YAML, set from flags, written back
// to YAML, listed for --help (design rule 13, Marian's cli.add<T>()).
//
// An option binds a dotted name ("model.hidden") to a field of a config struct; its default is the field's value
// when the option is added. read_yaml() walks a YAML mapping of sections and sets each known key; unknown keys,
// wrong types and malformed YAML throw attend::Error naming the file, the line and the key. set() parses a flag
// value ("128", "true", "0.5", "gru") for the option's type and throws naming the flag and the expected type.
// to_yaml() writes every option (the effective configuration, saved inside checkpoints).
//
// Usage:
//   TrainConfig cfg;
//   OptionTable t = train_option_table(cfg);
//   t.read_yaml_file("run.yaml");  t.set("optim.lr", "3e-3", "--optim.lr");  std::string yaml = t.to_yaml();
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attend/train/config.hpp"

namespace attend::train {

struct OptionEntry {
  std::string name;        ///< "section.key"
  std::string type;        ///< "int", "uint", "float", "bool", "string"
  std::string help;
  std::string default_value;  ///< as text
  std::function<void(const std::string& value, const std::string& where)> set;  ///< parse + assign, throws
  std::function<std::string()> get;  ///< current value as text
};

class OptionTable {
 public:
  void add(const std::string& name, int64_t* field, const std::string& help);
  void add(const std::string& name, uint64_t* field, const std::string& help);
  void add(const std::string& name, double* field, const std::string& help);
  void add(const std::string& name, bool* field, const std::string& help);
  void add(const std::string& name, std::string* field, const std::string& help);

  const std::vector<OptionEntry>& entries() const { return entries_; }
  /// Sets option `name` from text; `where` names the source in errors ("--model.hidden", "run.yaml:12").
  void set(const std::string& name, const std::string& value, const std::string& where);
  /// Reads a YAML document (sections of key: value). `source` names it in errors.
  void read_yaml(const std::string& text, const std::string& source);
  void read_yaml_file(const std::string& path);
  /// Every option, by section, as YAML that read_yaml() reads back to the same values.
  std::string to_yaml() const;

 private:
  std::vector<OptionEntry> entries_;
};

/// The table of every TrainConfig field (binding into `config`, which must outlive the table).
OptionTable train_option_table(TrainConfig& config);

}  // namespace attend::train
