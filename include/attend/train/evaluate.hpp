// evaluate: a model's quality on a held-out corpus, as `attend eval` reports it and the trainer validates:
// teacher-forced mean cross entropy per target token and token accuracy, then the decoded output (greedy or beam)
// against the reference text: exact match and corpus BLEU (13a tokenization, as sacreBLEU).
//
// Usage:
//   ValidationResult v = evaluate(bundle, examples, reference_texts, {.beam_size = 4});
//   fmt::print("loss {:.4f}  exact {:.2%}  BLEU {:.2f}\n", v.loss, v.exact_match, v.bleu);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attend/data/batch.hpp"
#include "attend/train/model_bundle.hpp"

namespace attend::train {

struct ValidationResult {
  double loss = 0;            ///< mean cross entropy per target token (teacher forcing)
  double token_accuracy = 0;  ///< teacher forcing
  double exact_match = 0;     ///< decoded vs reference text
  double bleu = 0;            ///< corpus BLEU, 13a
  int64_t sentences = 0;
  int64_t target_tokens = 0;
  std::vector<std::string> hypotheses;  ///< the decoded text, row by row
  /// The value of `metric` (loss, token_accuracy, exact_match, bleu); throws listing them otherwise.
  double get(const std::string& metric) const;
};

struct EvaluateOptions {
  int64_t beam_size = 1;
  int64_t batch_tokens = 8192;
  int64_t max_batch_size = 256;
};

/// examples and references row by row (references: the target text). The model is left in eval mode.
ValidationResult evaluate(ModelBundle& bundle, const std::vector<data::EncodedExample>& examples,
                          const std::vector<std::string>& references, const EvaluateOptions& options = {});

}  // namespace attend::train
