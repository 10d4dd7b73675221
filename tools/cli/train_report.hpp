// What `attend train` and `attend demo` print about data, validations and the finished run, and the metrics file.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "attend/train/trainer.hpp"

namespace attend::cli {

/// Corpus sizes, vocabularies and every skipped line.
void print_data_report(const train::TrainingData& data);
/// "step 200: valid loss 0.0123, token accuracy 99.80%, exact match 99.10%, BLEU 98.76 (2000 sentences)".
std::string validation_line(int64_t step, const train::ValidationResult& v);
void print_train_result(const train::TrainResult& r);
/// steps, train_seconds, examples_per_second, tokens_per_second, first_loss, last_loss, skipped_steps, and the last
/// validation's loss, token_accuracy, exact_match, bleu.
std::map<std::string, double> train_metrics(const train::TrainResult& r);

}  // namespace attend::cli
