// attend: one binary, one subcommand per job (parity, bench, later train/eval/translate/explain/demo).
// Every attend::Error is caught here, printed as "attend: error: ..." with a hint and turned into exit code 1, or 2
// for input that cannot be read at all (cli::UnreadableInput; parity reports its own 2 the same way).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>

#include "attend/core/error.hpp"
#include "cli_util.hpp"
#include "commands.hpp"
#include "wait_policy.hpp"

int main(int argc, char** argv) {
  attend::cli::use_bounded_spin_wait_policy(argv);  // idle OpenMP threads spin ~0.8 ms, then sleep (wait_policy.cpp)
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
  const std::string command = app.get_subcommands().empty() ? "" : app.get_subcommands().front()->get_name();
  auto fail = [&](const char* what, int code) {
    fmt::print(stderr, "attend: error: {}\n", what);
    fmt::print(stderr, "hint: `attend {} --help` lists the arguments{}\n", command,
               code == 2 ? "; check that the file exists and is readable" : "");
    return code;
  };
  try {
    return table.run();
  } catch (const attend::cli::UnreadableInput& e) {
    return fail(e.what(), 2);
  } catch (const attend::Error& e) {
    return fail(e.what(), 1);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}
