// OptionFlags: the command-line face of an OptionTable (train/option_table.hpp). Every option of the table becomes
// one CLI11 flag with the option's dotted name, "--model.hidden 128" (CLI11 accepts dots in long names), grouped
// under its section in --help ("model options") with its type and default. The flags store raw text; apply() hands
// each flag the user gave to OptionTable::set() — call it after the YAML config was read, so flags override the file.
// A boolean flag given bare ("--model.coverage") means true; it also takes a value ("--model.coverage off").
// A flag given twice keeps the last value.
//
// Usage:
//   train::TrainConfig cfg;  train::OptionTable table = train::train_option_table(cfg);
//   OptionFlags flags(*command, table);                 // before parsing
//   ...parse...;  table.read_yaml_file(config_path);  flags.apply();  train::validate(cfg);
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "attend/train/option_table.hpp"

namespace attend::cli {

class OptionFlags {
 public:
  /// Adds one option per table entry to `command`. `command` and `table` must outlive this object, which must not
  /// move (CLI11 keeps pointers into it).
  OptionFlags(CLI::App& command, train::OptionTable& table);
  OptionFlags(const OptionFlags&) = delete;
  OptionFlags& operator=(const OptionFlags&) = delete;

  /// Sets every option the user gave on the command line, in table order; throws attend::Error naming the flag
  /// ("--model.hidden: option model.hidden: expected an integer, got '12x'").
  void apply();

  /// The options given on the command line (dotted names), in table order; valid after parsing.
  std::vector<std::string> given() const;

 private:
  struct Flag {
    std::string name;   // "model.hidden"
    bool is_bool = false;
    std::string value;  // CLI11 writes here
    CLI::Option* option = nullptr;
  };
  train::OptionTable& table_;
  std::vector<Flag> flags_;  // reserved once; never reallocated after CLI11 binds &Flag::value
};

}  // namespace attend::cli
