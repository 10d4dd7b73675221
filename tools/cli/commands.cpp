#include "commands.hpp"

namespace attend::cli {

void add_commands(CLI::App& app, CommandTable& table) {
  add_train_command(app, table);
  add_eval_command(app, table);
  add_translate_command(app, table);
  add_info_command(app, table);
  add_explain_command(app, table);
  add_parity_command(app, table);
  add_bench_command(app, table);
  add_demo_command(app, table);
}

}  // namespace attend::cli
