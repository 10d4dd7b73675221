// Whole-file text output, all or nothing: the bytes go to a temporary file in the same folder, which is fsynced and
// renamed over the target, so a reader (or a crash) never sees half a file and a failed write keeps the old one.
// Used for metrics, translations, dumped corpora and pictures.
//
// Usage:
//   write_text_file("metrics.json", R"({"exact_match": 0.999})");
#pragma once

#include <string>
#include <string_view>

namespace attend {

/// Throws attend::Error naming `path` and the errno text when the folder is missing or unwritable or a write fails.
void write_text_file(const std::string& path, std::string_view text);

}  // namespace attend
