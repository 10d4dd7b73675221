// Checkpoint files (safetensors with a format marker) and the run folder's keep-last-N / best policy.
#include "attend/train/checkpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "attend/core/error.hpp"
#include "attend/io/safetensors.hpp"

namespace attend::train {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kFormat = "attend-checkpoint";
constexpr int64_t kFormatVersion = 1;
constexpr std::string_view kModelPrefix = "model.";
constexpr std::string_view kOptimizerPrefix = "optimizer.";
constexpr std::string_view kStepPrefix = "step-";
constexpr std::string_view kSuffix = ".safetensors";
constexpr std::string_view kBestName = "best.safetensors";

// A bitwise copy in memory of its own (the file's tensors borrow its mapping, which must not outlive the call).
Tensor owned_copy(const Tensor& t) {
  const Tensor src = t.contiguous();
  Tensor out = Tensor::empty(src.shape(), src.dtype());
  const size_t bytes = static_cast<size_t>(src.numel()) * dtype_size(src.dtype());
  if (bytes > 0) std::memcpy(out.raw_data(), src.raw_data(), bytes);
  return out;
}

// The digits of "step-<digits>.safetensors" as a number, or -1 for any other name.
int64_t step_of(std::string_view name) {
  if (!name.starts_with(kStepPrefix) || !name.ends_with(kSuffix)) return -1;
  const std::string_view digits = name.substr(kStepPrefix.size(), name.size() - kStepPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 18) return -1;
  int64_t step = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    step = step * 10 + (c - '0');
  }
  return step;
}

// (step, path) of every step checkpoint in the folder, by step.
std::vector<std::pair<int64_t, std::string>> step_files(const std::string& folder) {
  std::vector<std::pair<int64_t, std::string>> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const int64_t step = step_of(it->path().filename().string());
    if (step >= 0 && it->is_regular_file(ec)) files.emplace_back(step, it->path().string());
  }
  ATTEND_CHECK(!ec, "checkpoint folder {}: cannot list it: {}", folder, ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// The double in metadata `key` of `path` (written with fmt's shortest round-trip form).
double parse_metric(const std::string& value, const std::string& path, const std::string& key) {
  const char* begin = value.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  ATTEND_CHECK(!value.empty() && end == begin + value.size() && errno == 0 && std::isfinite(v),
               "{}: metadata '{}' must be a finite number, got '{}'", path, key, value);
  return v;
}

}  // namespace

const std::string& Checkpoint::meta(const std::string& key) const {
  const auto it = metadata.find(key);
  if (it != metadata.end()) return it->second;
  std::string keys;
  for (const auto& [k, v] : metadata) keys += (keys.empty() ? "" : ", ") + k;
  ATTEND_CHECK(false, "{}: checkpoint metadata has no key '{}' (keys: {})", source.empty() ? "checkpoint" : source, key,
               keys.empty() ? "none" : keys);
  __builtin_unreachable();
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, t] : checkpoint.model) tensors.emplace(std::string(kModelPrefix) + name, t);
  for (const auto& [key, t] : checkpoint.optimizer) tensors.emplace(std::string(kOptimizerPrefix) + key, t);
  std::map<std::string, std::string> metadata = checkpoint.metadata;
  metadata["format"] = kFormat;
  metadata["format_version"] = std::to_string(kFormatVersion);
  write_safetensors(path, tensors, metadata);
}

Checkpoint load_checkpoint(const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  const auto format = file.metadata.find("format");
  ATTEND_CHECK(format != file.metadata.end() && format->second == kFormat,
               "{}: not an attend checkpoint: metadata 'format' is {} (expected '{}'); a safetensors file of {} "
               "tensors that attend did not write as a checkpoint",
               path, format == file.metadata.end() ? "missing" : "'" + format->second + "'", kFormat,
               file.tensors.size());
  const auto version = file.metadata.find("format_version");
  ATTEND_CHECK(version != file.metadata.end(), "{}: checkpoint metadata 'format_version' is missing", path);
  const std::string& v = version->second;
  const bool numeric = !v.empty() && v.size() <= 9 && std::all_of(v.begin(), v.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  ATTEND_CHECK(numeric, "{}: checkpoint metadata 'format_version' must be a whole number, got '{}'", path, v);
  ATTEND_CHECK(std::stoll(v) <= kFormatVersion,
               "{}: checkpoint format_version {} is newer than this attend reads (up to {}); use a newer attend", path,
               v, kFormatVersion);

  Checkpoint c;
  c.source = path;
  c.metadata = std::move(file.metadata);
  for (const auto& [name, t] : file.tensors) {
    const std::string_view n = name;
    std::map<std::string, Tensor>* into = n.starts_with(kModelPrefix)       ? &c.model
                                          : n.starts_with(kOptimizerPrefix) ? &c.optimizer
                                                                            : nullptr;
    ATTEND_CHECK(into != nullptr, "{}: checkpoint tensor '{}' is neither under 'model.' nor under 'optimizer.'", path,
                 name);
    const size_t prefix = into == &c.model ? kModelPrefix.size() : kOptimizerPrefix.size();
    ATTEND_CHECK(name.size() > prefix, "{}: checkpoint tensor '{}' has an empty name after its prefix", path, name);
    into->emplace(name.substr(prefix), owned_copy(t));
  }
  return c;
}

CheckpointFolder::CheckpointFolder(std::string folder, CheckpointFolderOptions options)
    : folder_(std::move(folder)), options_(options) {
  ATTEND_CHECK(!folder_.empty(), "checkpoint folder: the path is empty");
  ATTEND_CHECK(options_.keep_last >= 1, "checkpoint folder {}: keep_last must be >= 1, got {}", folder_,
               options_.keep_last);
  std::error_code ec;
  const fs::file_status status = fs::status(folder_, ec);
  ATTEND_CHECK(!fs::exists(status) || fs::is_directory(status),
               "checkpoint folder {}: exists and is not a folder (a file of that name is in the way)", folder_);
  if (!fs::exists(status)) {
    fs::create_directories(folder_, ec);
    ATTEND_CHECK(!ec, "checkpoint folder {}: cannot create it: {}", folder_, ec.message());
  }
  // Resuming: the best metric so far is the one best.safetensors was saved with.
  if (const std::optional<std::string> best_path = best()) {
    const SafetensorsFile best_file = read_safetensors(*best_path);
    const auto it = best_file.metadata.find("best_metric");
    ATTEND_CHECK(it != best_file.metadata.end(),
                 "{}: metadata 'best_metric' is missing, so the best checkpoint so far cannot be compared; move the "
                 "file away to start best tracking afresh",
                 *best_path);
    best_metric_ = parse_metric(it->second, *best_path, "best_metric");
  }
}

std::string CheckpointFolder::save(const Checkpoint& checkpoint, int64_t step, std::optional<double> metric,
                                   bool higher_is_better) {
  ATTEND_CHECK(step >= 0, "checkpoint folder {}: step must be >= 0, got {}", folder_, step);
  if (metric) {
    ATTEND_CHECK(std::isfinite(*metric), "checkpoint folder {}: the metric of step {} must be finite, got {}", folder_,
                 step, *metric);
  }
  const std::string path = (fs::path(folder_) / fmt::format("step-{:08d}.safetensors", step)).string();
  save_checkpoint(path, checkpoint);

  const bool improves = metric && (!best_metric_ || (higher_is_better ? *metric > *best_metric_
                                                                      : *metric < *best_metric_));
  if (improves) {
    Checkpoint best = checkpoint;  // shares the tensors; only the metadata differs
    best.metadata["best_metric"] = fmt::format("{}", *metric);
    best.metadata["best_step"] = std::to_string(step);
    save_checkpoint((fs::path(folder_) / kBestName).string(), best);
    best_metric_ = metric;
  }

  // Prune the oldest step checkpoints beyond keep_last; the one just written always stays.
  auto files = step_files(folder_);
  auto excess = static_cast<int64_t>(files.size()) - options_.keep_last;
  for (const auto& [old_step, old_path] : files) {
    if (excess <= 0) break;
    if (old_step == step) continue;
    std::error_code ec;
    fs::remove(old_path, ec);
    ATTEND_CHECK(!ec, "checkpoint folder {}: saved {}, but cannot delete the old checkpoint {}: {}", folder_, path,
                 old_path, ec.message());
    --excess;
  }
  return path;
}

std::optional<std::string> CheckpointFolder::latest() const {
  const auto files = step_files(folder_);
  if (files.empty()) return std::nullopt;
  return files.back().second;
}

std::optional<std::string> CheckpointFolder::best() const {
  const fs::path p = fs::path(folder_) / kBestName;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  return p.string();
}

}  // namespace attend::train
