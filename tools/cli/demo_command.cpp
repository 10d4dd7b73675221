// attend demo: the main job (trains an attention seq2seq on generated dates). It arrives with the training issue.
#include <fmt/core.h>

#include "commands.hpp"

namespace attend::cli {

void add_demo_command(CLI::App& app, CommandTable& table) {
  CLI::App* cmd = app.add_subcommand("demo", "Train an attention seq2seq on generated dates (not yet available)");
  cmd->callback([&table] {
    table.selected = [] {
      fmt::print(stderr, "attend demo: not yet: the training job arrives with the training issue\n");
      return 1;
    };
  });
}

}  // namespace attend::cli
