// Helpers shared by the CLI's commands: unreadable input (exit code 2), atomic text output, metrics files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "attend/core/error.hpp"

namespace attend::cli {

/// Input the command cannot read at all (missing file, a folder, no permission): main() exits with 2.
class UnreadableInput : public Error {
 public:
  using Error::Error;
};

/// Throws UnreadableInput "<what> '<path>': <errno text>" unless `path` is a readable regular file.
void require_readable(const std::string& path, const std::string& what);
/// Writes through "<path>.tmp.<pid>" + fsync + rename; throws naming the path (the temporary file is removed).
void write_text_atomically(const std::string& path, const std::string& text);
/// {"key": value, ...} as JSON, atomically (numbers stay numbers, strings are quoted).
void write_metrics(const std::string& path, const std::map<std::string, double>& numbers,
                   const std::map<std::string, std::string>& strings = {});
/// Lines of a file, or of stdin when path is "" or "-" (a trailing '\r' dropped).
std::vector<std::string> read_lines(const std::string& path);

}  // namespace attend::cli
