// Checkpoint: a training run's complete state in one safetensors file, written atomically, and the folder policy
// that keeps the last N checkpoints and the best one.
//
// File layout: tensors "model.<name>" (the model's state_dict) and "optimizer.<key>" (the optimizer's state_dict);
// metadata (all strings): "format" = "attend-checkpoint" and "format_version" = "1", "config" (the effective YAML),
// "src_vocab" and "tgt_vocab" (JSON, data/vocab.hpp), "tokenizer" (JSON, data/tokenizer.hpp), "step", "epoch",
// "rng" (the data order's state), "best_metric", "metrics" (JSON of the last validation), plus any other keys the
// trainer adds. Writing goes to a temporary file in the same folder, fsync, then rename (io/safetensors.hpp), so a
// crash never leaves a partial checkpoint under the final name.
// Reading checks the format marker and version and that every tensor is under model. or optimizer.: a truncated
// file, a foreign safetensors file or a newer version gives an attend::Error naming the file and what is wrong.
//
// Usage:
//   CheckpointFolder folder("run", {.keep_last = 3});
//   folder.save(checkpoint, step, /*metric*/ 0.93, /*higher_is_better*/ true);   // run/step-00000200.safetensors
//   std::optional<std::string> last = folder.latest();  Checkpoint c = load_checkpoint(*last);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "attend/tensor/tensor.hpp"

namespace attend::train {

struct Checkpoint {
  std::map<std::string, Tensor> model;       ///< state_dict names, without the "model." prefix
  std::map<std::string, Tensor> optimizer;   ///< optimizer state_dict keys, without the "optimizer." prefix
  std::map<std::string, std::string> metadata;  ///< everything else (see the file comment); format keys are added
  std::string source;  ///< the file it was loaded from, for error messages; empty when built in memory
  /// metadata value of `key`; throws naming the file's key when it is missing.
  const std::string& meta(const std::string& key) const;
};

/// Writes atomically; throws attend::Error naming the path on I/O failure (the previous file stays intact).
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Reads and validates (see the file comment); tensors are copies, independent of the file.
Checkpoint load_checkpoint(const std::string& path);

struct CheckpointFolderOptions {
  int64_t keep_last = 3;  ///< step checkpoints kept (older ones are deleted after a successful save); >= 1
};

/// A run folder: step-<8 digits>.safetensors per save, best.safetensors for the best metric so far.
class CheckpointFolder {
 public:
  /// Creates the folder (and parents) if needed; throws naming it when that fails or it is a file.
  CheckpointFolder(std::string folder, CheckpointFolderOptions options = {});
  /// Saves step-<step>.safetensors, deletes step checkpoints beyond keep_last, and also writes best.safetensors
  /// when `metric` improves on the best so far (the first save with a metric always does; a save without one leaves
  /// best alone). best.safetensors carries the metadata "best_metric" and "best_step", from which a reopened folder
  /// recovers the best so far. Returns the path written.
  std::string save(const Checkpoint& checkpoint, int64_t step, std::optional<double> metric = std::nullopt,
                   bool higher_is_better = false);
  /// The step checkpoint with the highest step, if any.
  std::optional<std::string> latest() const;
  /// best.safetensors if it exists.
  std::optional<std::string> best() const;
  const std::string& path() const { return folder_; }
  /// The best metric so far (recovered from best.safetensors when the folder is reopened), if any.
  std::optional<double> best_metric() const { return best_metric_; }

 private:
  std::string folder_;
  CheckpointFolderOptions options_;
  std::optional<double> best_metric_;
};

}  // namespace attend::train
