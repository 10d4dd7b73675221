// The subcommands of the attend CLI. Each command file registers its options on its own CLI11 subcommand and sets
// the function to run when that subcommand is chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace attend::cli {

struct CommandTable {
  std::function<int()> selected;
  int run() const { return selected ? selected() : 0; }
};

/// Registers every subcommand (defined in their own files).
void add_commands(CLI::App& app, CommandTable& table);

void add_parity_command(CLI::App& app, CommandTable& table);
void add_bench_command(CLI::App& app, CommandTable& table);
void add_demo_command(CLI::App& app, CommandTable& table);
void add_train_command(CLI::App& app, CommandTable& table);
void add_eval_command(CLI::App& app, CommandTable& table);
void add_translate_command(CLI::App& app, CommandTable& table);
void add_info_command(CLI::App& app, CommandTable& table);
void add_explain_command(CLI::App& app, CommandTable& table);

}  // namespace attend::cli
