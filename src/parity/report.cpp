// Parity reports as JSON (the `attend parity --json` format).
#include <cmath>
#include <nlohmann/json.hpp>

#include "attend/parity/parity.hpp"

namespace attend::parity {

namespace {
// JSON has no infinity: a NaN or infinite error is written as null.
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
}  // namespace

std::string reports_to_json(const std::vector<FileReport>& reports) {
  nlohmann::json files = nlohmann::json::array();
  int passed = 0, failed = 0, errors = 0;
  for (const FileReport& r : reports) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const TensorReport& t : r.tensors) {
      tensors.push_back({{"name", t.name},
                         {"shape", t.shape},
                         {"max_abs", number(t.max_abs)},
                         {"max_rel", number(t.max_rel)},
                         {"atol", t.atol},
                         {"rtol", t.rtol},
                         {"status", t.pass ? "PASS" : "FAIL"}});
    }
    nlohmann::json file = {{"file", r.file}, {"module", r.module}, {"status", status_name(r.status)},
                           {"tensors", tensors}};
    if (r.status == Status::error) file["error"] = {{"kind", error_kind_name(r.error_kind)}, {"message", r.error}};
    files.push_back(std::move(file));
    passed += r.status == Status::pass;
    failed += r.status == Status::fail;
    errors += r.status == Status::error;
  }
  const nlohmann::json out = {
      {"format", "attend-parity-report-1"},
      {"files", files},
      {"summary",
       {{"files", reports.size()}, {"passed", passed}, {"failed", failed}, {"errors", errors},
        {"exit_code", parity_exit_code(reports)}}}};
  return out.dump(2) + "\n";
}

}  // namespace attend::parity
