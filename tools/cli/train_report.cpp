// Reports of `attend train` and `attend demo` (see train_report.hpp).
#include "train_report.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace attend::cli {

void print_data_report(const train::TrainingData& d) {
  fmt::print("data: {} training examples, {} validation; vocabularies: source {} ({}), target {} ({})\n",
             d.train.size(), d.valid.size(), d.src_vocab.size(), d.src_tokenizer->kind(), d.tgt_vocab.size(),
             d.tgt_tokenizer->kind());
  if (!d.train_report.skipped.empty()) fmt::print("training corpus: {}\n", d.train_report.summary());
  if (!d.valid_report.skipped.empty()) fmt::print("validation corpus: {}\n", d.valid_report.summary());
}

std::string validation_line(int64_t step, const train::ValidationResult& v) {
  if (v.sentences == 0) return fmt::format("step {}: no validation set", step);
  return fmt::format("step {}: valid loss {:.4f}, token accuracy {:.2f}%, exact match {:.2f}%, BLEU {:.2f} ({} "
                     "sentences)",
                     step, v.loss, 100 * v.token_accuracy, 100 * v.exact_match, v.bleu, v.sentences);
}

void print_train_result(const train::TrainResult& r) {
  fmt::print("stopped after {} steps ({}): {:.1f} s of training, {:.0f} examples/s, {:.0f} target tokens/s; loss "
             "{:.4f} -> {:.4f}{}\n",
             r.steps, r.stop_reason, r.train_seconds,
             static_cast<double>(r.examples) / std::max(1e-9, r.session_seconds),
             static_cast<double>(r.target_tokens) / std::max(1e-9, r.session_seconds), r.first_loss, r.last_loss,
             r.skipped_steps ? fmt::format("; {} batches skipped (non-finite)", r.skipped_steps) : "");
  if (!r.last_checkpoint.empty()) fmt::print("last checkpoint: {}\n", r.last_checkpoint);
  if (!r.best_checkpoint.empty()) fmt::print("best checkpoint: {}\n", r.best_checkpoint);
}

std::map<std::string, double> train_metrics(const train::TrainResult& r) {
  std::map<std::string, double> m{
      {"steps", static_cast<double>(r.steps)},
      {"train_seconds", r.train_seconds},
      {"examples_per_second", static_cast<double>(r.examples) / std::max(1e-9, r.session_seconds)},
      {"tokens_per_second", static_cast<double>(r.target_tokens) / std::max(1e-9, r.session_seconds)},
      {"first_loss", r.first_loss},
      {"last_loss", r.last_loss},
      {"skipped_steps", static_cast<double>(r.skipped_steps)},
  };
  if (r.last_validation && r.last_validation->sentences > 0) {
    m["valid_loss"] = r.last_validation->loss;
    m["token_accuracy"] = r.last_validation->token_accuracy;
    m["exact_match"] = r.last_validation->exact_match;
    m["bleu"] = r.last_validation->bleu;
  }
  return m;
}

}  // namespace attend::cli
