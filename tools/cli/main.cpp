// attend: one binary, one subcommand per job (parity, bench, later train/eval/translate/explain/demo).
// Every attend::Error is caught here, printed as "attend: error: ..." and turned into exit code 1 (parity uses 2 for
// unreadable input, as its contract says).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>

#include "attend/core/error.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"attend: attention mechanisms and attention-augmented RNNs on CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "attend " ATTEND_VERSION);
  attend::cli::CommandTable table;
  attend::cli::add_commands(app, table);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return table.run();
  } catch (const attend::Error& e) {
    fmt::print(stderr, "attend: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "attend: error: {}\n", e.what());
    return 1;
  }
}
