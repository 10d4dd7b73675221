#include "commands.hpp"

namespace attend::cli {

void add_commands(CLI::App& app, CommandTable& table) {
  add_parity_command(app, table);
  add_bench_command(app, table);
  add_demo_command(app, table);
}

}  // namespace attend::cli
