// TrainingData: the corpora of a run turned into token ids, with the tokenizers and vocabularies that did it.
//
// prepare_data() reads config.data's training corpus (TSV, or two aligned files) and, when given, the validation
// corpus; trains the tokenizers (char, word or SentencePiece) and builds the vocabularies on the training side only,
// unless `from` supplies them (resuming, or fine-tuning a saved model: the ids must not change); then encodes both
// sides. Training examples longer than data.max_length tokens are skipped and reported; validation examples are all
// kept, so valid_sources/valid_targets stay aligned with `valid`.
//
// Usage:
//   TrainingData d = prepare_data(config);
//   fmt::print("{}\n", d.train_report.summary());        // every skipped line, by file and line
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attend/data/batch.hpp"
#include "attend/data/batcher.hpp"
#include "attend/data/corpus.hpp"
#include "attend/data/tokenizer.hpp"
#include "attend/data/vocab.hpp"
#include "attend/train/config.hpp"

namespace attend::train {

struct ModelBundle;

struct TrainingData {
  std::shared_ptr<data::Tokenizer> src_tokenizer, tgt_tokenizer;
  data::Vocab src_vocab, tgt_vocab;
  std::vector<data::EncodedExample> train, valid;
  std::vector<std::string> valid_sources, valid_targets;  ///< raw text of `valid`, row by row
  data::CorpusReport train_report, valid_report;
};

/// From the files named by config.data. Throws what the readers throw (file, line) and names data.train when the
/// training corpus keeps no example.
TrainingData prepare_data(const TrainConfig& config, const ModelBundle* from = nullptr);
/// From corpora already in memory (the demo's generated dates); `valid` may be empty.
TrainingData prepare_data(const TrainConfig& config, data::ParallelCorpus train, data::ParallelCorpus valid,
                          const ModelBundle* from = nullptr);

}  // namespace attend::train
