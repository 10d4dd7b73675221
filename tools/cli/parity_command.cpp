// attend parity FILE... [--json report.json]: runs PyTorch reference fixtures (fixtures.md) and reports, per file
// and per compared tensor, the max abs and max rel error and PASS/FAIL. Exit 0 when all pass, 1 when a tensor is out
// of tolerance, 2 when a file is unreadable or unsupported (2 wins over 1).
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "attend/parity/parity.hpp"
#include "commands.hpp"

namespace attend::cli {

namespace {

struct ParityArgs {
  std::vector<std::string> files;
  std::string json_path;
};

void print_report(const parity::FileReport& r) {
  if (r.status == parity::Status::error) {
    fmt::print("{}: ERROR ({}): {}\n", r.file, parity::error_kind_name(r.error_kind), r.error);
    return;
  }
  fmt::print("{} ({}): {}\n", r.file, r.module, parity::status_name(r.status));
  size_t width = 0;
  for (const auto& t : r.tensors) width = std::max(width, t.name.size());
  for (const auto& t : r.tensors) {
    fmt::print("  {:<{}}  max_abs {:<10.3e} max_rel {:<10.3e} {}\n", t.name, width, t.max_abs, t.max_rel,
               t.pass ? "PASS" : "FAIL");
  }
}

// Writes `text` to `path` through a temporary file in the same folder and a rename, so a reader never sees half.
bool write_atomically(const std::string& path, const std::string& text) {
  const std::filesystem::path target(path);
  std::filesystem::path temp = target;
  temp += fmt::format(".tmp{}", static_cast<long>(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) std::filesystem::remove(temp, ec);
  return !ec;
}

int run_parity_command(const ParityArgs& args) {
  std::vector<parity::FileReport> reports;
  for (const std::string& file : args.files) {
    reports.push_back(parity::run_parity_file(file));
    print_report(reports.back());
    std::fflush(stdout);
  }
  size_t passed = 0, failed = 0, errors = 0, tensors = 0;
  double worst_abs = 0.0;
  for (const auto& r : reports) {
    passed += r.status == parity::Status::pass;
    failed += r.status == parity::Status::fail;
    errors += r.status == parity::Status::error;
    tensors += r.tensors.size();
    for (const auto& t : r.tensors) worst_abs = std::max(worst_abs, t.max_abs);
  }
  const int code = parity::parity_exit_code(reports);
  fmt::print("parity: {} files: {} passed, {} failed, {} errors; {} tensors compared, worst max_abs {:.3e}\n",
             reports.size(), passed, failed, errors, tensors, worst_abs);
  if (!args.json_path.empty() && !write_atomically(args.json_path, parity::reports_to_json(reports))) {
    fmt::print(stderr, "attend: error: parity: cannot write the JSON report to {}\n", args.json_path);
    return 2;
  }
  if (errors > 0) {
    fmt::print(stderr, "hint: an ERROR is a file attend cannot compare (unreadable, not an attend-parity-1 fixture, "
                       "or a module/configuration attend does not support yet)\n");
  }
  return code;
}

}  // namespace

void add_parity_command(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<ParityArgs>();
  CLI::App* cmd = app.add_subcommand(
      "parity", "Compare attend with PyTorch reference fixtures (exit 0 all pass, 1 mismatch, 2 unreadable/unsupported)");
  cmd->add_option("files", args->files, "Fixture files (safetensors, format attend-parity-1)")->required();
  cmd->add_option("--json", args->json_path, "Also write the report as JSON to this file");
  cmd->callback([&table, args] { table.selected = [args] { return run_parity_command(*args); }; });
}

}  // namespace attend::cli
