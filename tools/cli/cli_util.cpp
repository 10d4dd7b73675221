// Helpers shared by the CLI's commands (see cli_util.hpp).
#include "cli_util.hpp"

#include <fmt/core.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attend/io/text_file.hpp"

namespace attend::cli {

void require_readable(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw UnreadableInput(fmt::format("{} '{}': {}", what, path, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) throw UnreadableInput(fmt::format("{} '{}' is a folder, not a file", what, path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UnreadableInput(fmt::format("{} '{}': cannot open: {}", what, path, std::strerror(errno)));
}

void write_text_atomically(const std::string& path, const std::string& text) { write_text_file(path, text); }

void write_metrics(const std::string& path, const std::map<std::string, double>& numbers,
                   const std::map<std::string, std::string>& strings) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : numbers) j[k] = v;
  for (const auto& [k, v] : strings) j[k] = v;
  write_text_file(path, j.dump(2) + "\n");
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::string line;
  auto strip = [](std::string& s) {
    if (!s.empty() && s.back() == '\r') s.pop_back();
  };
  if (path.empty() || path == "-") {
    while (std::getline(std::cin, line)) {
      strip(line);
      lines.push_back(line);
    }
    return lines;
  }
  require_readable(path, "input file");
  std::ifstream in(path, std::ios::binary);
  while (std::getline(in, line)) {
    strip(line);
    lines.push_back(line);
  }
  return lines;
}

}  // namespace attend::cli
