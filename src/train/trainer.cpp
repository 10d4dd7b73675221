// Trainer: the training loop (see the header).
#include "attend/train/trainer.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "attend/core/error.hpp"
#include "attend/data/batcher.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/loss.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/optim/clip.hpp"
#include "attend/optim/lr_schedule.hpp"
#include "attend/optim/optimizer.hpp"
#include "attend/train/optimization.hpp"
#include "attend/train/stop_signal.hpp"

namespace attend::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool higher_is_better(const std::string& metric) { return metric != "loss"; }

int64_t meta_int(const Checkpoint& c, const char* key) { return std::stoll(c.meta(key)); }

/// Loss of one batch: mean cross entropy over target tokens (+ λ · coverage loss per target token).
Var batch_loss(const ModelOutput& out, const data::Batch& batch, const OptimConfig& o) {
  Var loss = cross_entropy(out.logits, batch.tgt_out,
                           {.ignore_index = data::kPadId, .label_smoothing = o.label_smoothing});
  if (out.coverage_loss.defined() && o.coverage_weight > 0) {
    const Tensor target = batch.tgt_out.contiguous();
    const auto* t = target.data<int64_t>();
    std::vector<float> k(static_cast<size_t>(target.numel()));
    for (size_t i = 0; i < k.size(); ++i) k[i] = t[i] != data::kPadId ? 1.0F : 0.0F;
    Tensor keep = Tensor::from_vector(k, target.shape()).to(out.coverage_loss.value().dtype());
    Var covered = sum(mul(out.coverage_loss, Var(keep)));  // [B, Tt] masked -> []
    loss = add(loss, mul(covered, o.coverage_weight / static_cast<double>(std::max<int64_t>(1, batch.target_tokens))));
  }
  return loss;
}

}  // namespace

std::string parameter_digest(const nn::Module& module) {
  uint64_t h = 1469598103934665603ULL;
  for (const auto& [name, tensor] : module.state_dict()) {
    const Tensor t = tensor.contiguous();
    const auto* p = static_cast<const unsigned char*>(t.raw_data());
    const size_t bytes = static_cast<size_t>(t.numel()) * dtype_size(t.dtype());
    for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

Trainer::Trainer(TrainConfig config, TrainingData data) : config_(std::move(config)), data_(std::move(data)) {
  bundle_.config = config_;
  bundle_.src_tokenizer = data_.src_tokenizer;
  bundle_.tgt_tokenizer = data_.tgt_tokenizer;
  bundle_.src_vocab = data_.src_vocab;
  bundle_.tgt_vocab = data_.tgt_vocab;
  bundle_.model = TranslationModel::create(config_.model, data_.src_vocab.size(), data_.tgt_vocab.size(),
                                           config_.train.seed);
  optimizer_ = make_optimizer(bundle_.model->module().parameters(), config_.optim);
}

Trainer::~Trainer() = default;

void Trainer::resume(const Checkpoint& c, const std::string& source) {
  try {
    bundle_.model->module().load_state_dict(c.model);
    optimizer_->load_state_dict(c.optimizer);
    step_ = meta_int(c, "step");
    epoch_ = meta_int(c, "epoch");
    batch_in_epoch_ = meta_int(c, "batch_in_epoch");
    skipped_ = meta_int(c, "skipped_steps");
    train_seconds_ = std::stod(c.meta("train_seconds"));
    auto best = c.metadata.find("best_metric");
    if (best != c.metadata.end() && !best->second.empty()) best_metric_ = std::stod(best->second);
  } catch (const std::logic_error& e) {  // stoll/stod
    throw Error(fmt::format("{}: malformed training state in the metadata ({})", source, e.what()));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: cannot resume from it: {}", source, e.what()));
  }
}

Checkpoint Trainer::make_checkpoint() const {
  Checkpoint c;
  c.model = bundle_.model->module().state_dict();
  c.optimizer = optimizer_->state_dict();
  c.metadata = bundle_.metadata();
  c.metadata["step"] = std::to_string(step_);
  c.metadata["epoch"] = std::to_string(epoch_);
  c.metadata["batch_in_epoch"] = std::to_string(batch_in_epoch_);
  c.metadata["skipped_steps"] = std::to_string(skipped_);
  c.metadata["train_seconds"] = fmt::format("{}", train_seconds_);
  c.metadata["rng"] = fmt::format(R"({{"seed": {}, "epoch": {}, "batch": {}}})", config_.train.seed, epoch_,
                                  batch_in_epoch_);
  c.metadata["best_metric"] = best_metric_ ? fmt::format("{}", *best_metric_) : "";
  return c;
}

double Trainer::train_step(const std::vector<int64_t>& indices, TrainResult& result, bool& skipped) {
  const OptimConfig& o = config_.optim;
  data::Batch batch = data::make_batch(data_.train, indices);
  optimizer_->set_lr(optim::scheduled_lr(o.lr, make_lr_schedule(o, total_steps_), step_));
  Var loss = batch_loss(bundle_.model->forward(batch), batch, o);
  const double value = loss.value().item<double>();
  skipped = !std::isfinite(value);
  if (!skipped) {
    optimizer_->zero_grad();
    loss.backward();
    const auto& params = optimizer_->parameters();
    const double limit = o.clip_norm > 0 ? o.clip_norm : std::numeric_limits<double>::infinity();
    skipped = !std::isfinite(optim::clip_grad_norm(params, limit));
    if (!skipped) {
      if (o.clip_value > 0) optim::clip_grad_value(params, o.clip_value);
      optimizer_->step();
    }
    optimizer_->zero_grad();
  }
  if (!skipped) {
    ++step_;
    result.examples += batch.size();
    result.target_tokens += batch.target_tokens;
  } else {
    ++skipped_;
  }
  return value;
}

ValidationResult Trainer::validate() {
  ValidationResult v = evaluate(bundle_, data_.valid, data_.valid_targets,
                                {.beam_size = config_.train.valid_beam, .batch_tokens = config_.data.batch_tokens,
                                 .max_batch_size = config_.data.max_batch_size});
  bundle_.model->module().train();
  return v;
}

TrainResult Trainer::run(Progress& progress) {
  const LoopConfig& loop = config_.train;
  const DataConfig& d = config_.data;
  data::BatchingOptions batching{.batch_tokens = d.batch_tokens, .max_batch_size = d.max_batch_size,
                                 .bucketing = d.bucketing, .shuffle = true, .seed = loop.seed};
  auto batches = data::make_batches(data_.train, batching, epoch_);
  total_steps_ = loop.steps > 0 ? loop.steps : loop.epochs * static_cast<int64_t>(batches.size());
  std::optional<CheckpointFolder> folder;
  if (!loop.out.empty()) folder.emplace(loop.out, CheckpointFolderOptions{.keep_last = loop.keep_last});
  StopSignals signals;
  TrainResult result;
  bool have_loss = false;
  int64_t since_best = 0;
  const int64_t start_step = step_;
  const double start_seconds = train_seconds_;

  auto save = [&](std::optional<double> metric) {
    if (!folder) return;
    result.last_checkpoint = folder->save(make_checkpoint(), step_, metric, higher_is_better(loop.metric));
    if (auto best = folder->best()) result.best_checkpoint = *best;
  };
  auto validate_and_save = [&]() -> bool {  // true: stop (target reached or patience exhausted)
    ValidationResult v = validate();
    result.last_validation = v;
    std::optional<double> metric;
    if (v.sentences > 0) metric = v.get(loop.metric);
    bool improved = metric && (!best_metric_ || (higher_is_better(loop.metric) ? *metric > *best_metric_
                                                                                 : *metric < *best_metric_));
    if (improved) best_metric_ = metric;
    since_best = improved ? 0 : since_best + 1;
    save(metric);
    if (on_validation) on_validation(step_, v);
    if (metric && loop.target > 0 &&
        (higher_is_better(loop.metric) ? *metric >= loop.target : *metric <= loop.target)) {
      result.stop_reason = "target";
      return true;
    }
    if (loop.patience > 0 && since_best >= loop.patience) {
      result.stop_reason = "early stopping";
      return true;
    }
    return false;
  };

  if (loop.steps > 0 && step_ >= loop.steps) result.stop_reason = "steps";  // resumed at (or past) the budget
  while (result.stop_reason.empty()) {
    if (loop.steps == 0 && epoch_ >= loop.epochs) {
      result.stop_reason = "epochs";
      break;
    }
    for (; batch_in_epoch_ < static_cast<int64_t>(batches.size()); ) {
      auto t0 = Clock::now();
      bool skipped = false;
      double loss = train_step(batches[static_cast<size_t>(batch_in_epoch_)], result, skipped);
      ++batch_in_epoch_;
      train_seconds_ += seconds_since(t0);
      if (skipped) {
        progress.message(fmt::format("step {}: non-finite loss or gradient ({}); {}", step_ + 1, loss,
                                     loop.on_nan == "stop" ? "stopping" : "batch skipped"));
        if (loop.on_nan == "stop") {
          result.stop_reason = "nan";
          break;
        }
        continue;
      }
      if (!have_loss) result.first_loss = loss;
      have_loss = true;
      result.last_loss = loss;
      const double seconds = train_seconds_ - start_seconds;  // this run: the token count is this run's
      progress.update({.step = step_, .total_steps = total_steps_, .epoch = epoch_ + 1, .loss = loss,
                       .lr = optimizer_->lr(),
                       .tokens_per_second = static_cast<double>(result.target_tokens) /
                                            std::max(1e-9, seconds),
                       .elapsed_seconds = seconds});
      if (loop.valid_every > 0 && step_ % loop.valid_every == 0 && validate_and_save()) break;
      if (StopSignals::requested()) {
        result.stop_reason = "signal";
        save(std::nullopt);
        break;
      }
      if (loop.steps > 0 && step_ >= loop.steps) {
        result.stop_reason = "steps";
        break;
      }
      if (loop.seconds > 0 && train_seconds_ >= loop.seconds) {
        result.stop_reason = "seconds";
        break;
      }
    }
    if (!result.stop_reason.empty()) break;
    ++epoch_;
    batch_in_epoch_ = 0;
    batches = data::make_batches(data_.train, batching, epoch_);
  }
  progress.finish();
  // A final validation and checkpoint, unless the last step just had them (or the run must not write: nan).
  const bool just_validated = loop.valid_every > 0 && step_ > 0 && step_ % loop.valid_every == 0 &&
                              result.stop_reason != "signal";
  if (result.stop_reason != "nan" && result.stop_reason != "signal" && !just_validated && step_ > start_step)
    validate_and_save();
  result.steps = step_;
  result.epochs_started = epoch_ + 1;
  result.train_seconds = train_seconds_;
  result.session_seconds = train_seconds_ - start_seconds;
  result.skipped_steps = skipped_;
  result.parameter_digest = parameter_digest(bundle_.model->module());
  return result;
}

}  // namespace attend::train
