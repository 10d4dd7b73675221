// prepare_data: corpora -> tokenizers, vocabularies and token ids (see the header).
#include "attend/train/training_data.hpp"

#include "attend/core/error.hpp"
#include "attend/train/model_bundle.hpp"

namespace attend::train {
namespace {

data::ParallelCorpus read_side(const std::string& tsv, const std::string& src, const std::string& tgt) {
  if (!tsv.empty()) return data::read_tsv(tsv);
  if (!src.empty()) return data::read_parallel(src, tgt);
  return {};
}

std::vector<std::vector<std::string>> tokenize_all(const data::Tokenizer& t, const std::vector<std::string>& text) {
  std::vector<std::vector<std::string>> out;
  out.reserve(text.size());
  for (const std::string& s : text) out.push_back(t.encode(s));
  return out;
}

}  // namespace

TrainingData prepare_data(const TrainConfig& config, const ModelBundle* from) {
  const DataConfig& d = config.data;
  return prepare_data(config, read_side(d.train, d.train_src, d.train_tgt),
                      read_side(d.valid, d.valid_src, d.valid_tgt), from);
}

TrainingData prepare_data(const TrainConfig& config, data::ParallelCorpus train, data::ParallelCorpus valid,
                          const ModelBundle* from) {
  const DataConfig& d = config.data;
  TrainingData out;
  ATTEND_CHECK(!train.src.empty(), "data.train: the training corpus has no usable example ({})",
               train.report.summary());
  if (from) {
    out.src_tokenizer = from->src_tokenizer;
    out.tgt_tokenizer = from->tgt_tokenizer;
    out.src_vocab = from->src_vocab;
    out.tgt_vocab = from->tgt_vocab;
  } else {
    out.src_tokenizer = data::train_tokenizer(d.tokenizer, train.src, d.sentencepiece_vocab);
    out.tgt_tokenizer = data::train_tokenizer(d.tokenizer, train.tgt, d.sentencepiece_vocab);
    data::VocabOptions vo{.min_frequency = d.min_frequency, .max_size = d.vocab_size};
    out.src_vocab = data::Vocab::build(tokenize_all(*out.src_tokenizer, train.src), vo);
    out.tgt_vocab = data::Vocab::build(tokenize_all(*out.tgt_tokenizer, train.tgt), vo);
  }
  out.train_report = train.report;
  out.train = data::encode_corpus(train, *out.src_tokenizer, *out.tgt_tokenizer, out.src_vocab, out.tgt_vocab,
                                  d.max_length, &out.train_report);
  ATTEND_CHECK(!out.train.empty(), "data.train: every training example was skipped ({})",
               out.train_report.summary());
  if (!valid.src.empty()) {
    out.valid_report = valid.report;
    out.valid = data::encode_corpus(valid, *out.src_tokenizer, *out.tgt_tokenizer, out.src_vocab, out.tgt_vocab,
                                    /*max_length=*/0, &out.valid_report);
    out.valid_sources = valid.src;
    out.valid_targets = valid.tgt;
  }
  return out;
}

}  // namespace attend::train
