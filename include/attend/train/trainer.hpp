// Trainer: the training loop of `attend train` and `attend demo`: batches by token budget, teacher-forced forward,
// cross entropy (padding ignored, label smoothing) plus the coverage loss, backpropagation through time through the
// attention weights, clipping, the optimizer and its learning-rate schedule; validation every train.valid_every
// steps (loss, token accuracy, exact match and corpus BLEU of the decoded validation set); checkpoints; early
// stopping; a stop on a time budget or on reaching a target metric; SIGINT/SIGTERM handling.
//
// Reproducibility: the data order is a function of (train.seed, epoch) and a checkpoint records the step, the epoch
// and the position in the epoch, so `--resume` after an interruption replays exactly the batches an uninterrupted run
// would see and ends bitwise equal to it (with dropout 0: dropout masks are not checkpointed).
// Non-finite loss or gradient norm: train.on_nan = skip drops the batch (counted in TrainResult::skipped_steps);
// stop ends the run at once, leaving the last good checkpoint as it was.
//
// Usage:
//   TrainingData data = prepare_data(config);
//   Trainer trainer(config, std::move(data));
//   TrainResult r = trainer.run(progress);                 // or trainer.resume(checkpoint) first
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "attend/train/checkpoint.hpp"
#include "attend/train/config.hpp"
#include "attend/train/evaluate.hpp"
#include "attend/train/model_bundle.hpp"
#include "attend/train/progress.hpp"
#include "attend/train/training_data.hpp"

namespace attend::optim {
class Optimizer;
}

namespace attend::train {

struct TrainResult {
  int64_t steps = 0;  ///< optimizer steps completed in total (including before a resume)
  int64_t epochs_started = 0;
  double train_seconds = 0;     ///< time in training steps only (validation and checkpoints excluded), in total
  double session_seconds = 0;   ///< the part of train_seconds spent in this run (after a resume: since it)
  int64_t examples = 0;         ///< training examples seen in this run
  int64_t target_tokens = 0;    ///< in this run
  int64_t skipped_steps = 0;    ///< batches dropped for a non-finite loss or gradient
  double first_loss = 0, last_loss = 0;
  std::string stop_reason;      ///< "steps", "epochs", "seconds", "target", "early stopping", "signal", "nan"
  std::optional<ValidationResult> last_validation;
  std::string last_checkpoint, best_checkpoint;
  /// FNV-1a (64-bit, hex) of every parameter's bytes in state_dict order: equal digests mean bitwise-equal models
  /// (how a resumed run is compared with an uninterrupted one).
  std::string parameter_digest;
};

/// The digest of TrainResult::parameter_digest for any module.
std::string parameter_digest(const nn::Module& module);

class Trainer {
 public:
  Trainer(TrainConfig config, TrainingData data);
  ~Trainer();
  /// Restores model, optimizer and position from a checkpoint of the same configuration (its vocabularies must be
  /// the ones `data` was encoded with). Throws naming the checkpoint when shapes or state do not fit.
  void resume(const Checkpoint& checkpoint, const std::string& source);
  /// Trains until a stop condition; saves checkpoints into train.out (if not empty).
  TrainResult run(Progress& progress);
  /// Validates on the validation set (or nothing when it is empty).
  ValidationResult validate();

  ModelBundle& bundle() { return bundle_; }
  const TrainingData& data() const { return data_; }
  /// Called after each validation with the step (for the demo's display).
  std::function<void(int64_t step, const ValidationResult&)> on_validation;

 private:
  Checkpoint make_checkpoint() const;
  double train_step(const std::vector<int64_t>& indices, TrainResult& result, bool& skipped);

  TrainConfig config_;
  TrainingData data_;
  ModelBundle bundle_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  int64_t step_ = 0, epoch_ = 0, batch_in_epoch_ = 0, total_steps_ = 0;
  double train_seconds_ = 0;
  int64_t skipped_ = 0;
  std::optional<double> best_metric_;
};

}  // namespace attend::train
