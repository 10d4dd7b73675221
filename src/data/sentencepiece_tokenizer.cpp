// The sentencepiece Tokenizer: unigram training in memory (a SentenceIterator in, a serialized ModelProto out, no
// files), encode/decode through SentencePieceProcessor, and the model proto as base64 in the JSON.
#include "sentencepiece_tokenizer.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>

#include "attend/core/error.hpp"
#include "base64.hpp"

namespace attend::data::detail {

namespace {

// SentencePiece's unigram trainer splits the sentences over its own threads in a fixed pattern and merges their sums
// in thread order, so a fixed count (not the machine's core count) keeps the trained model identical everywhere.
constexpr int kTrainerThreads = 4;

class VectorIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& text) : text_(text) {}
  bool done() const override { return i_ >= text_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return text_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& text_;
  size_t i_ = 0;
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(std::string model_proto, const std::string& what) : model_proto_(std::move(model_proto)) {
    const sentencepiece::util::Status status = processor_.LoadFromSerializedProto(model_proto_);
    ATTEND_CHECK(status.ok(), "{}: not a SentencePiece model proto ({})", what, status.ToString());
  }

  std::vector<std::string> encode(std::string_view text) const override {
    std::vector<std::string> pieces;
    const sentencepiece::util::Status status = processor_.Encode(text, &pieces);
    ATTEND_CHECK(status.ok(), "sentencepiece tokenizer: cannot encode a text of {} bytes ({})", text.size(),
                 status.ToString());
    return pieces;
  }

  std::string decode(const std::vector<std::string>& pieces) const override {
    std::string text;
    const sentencepiece::util::Status status = processor_.Decode(pieces, &text);
    ATTEND_CHECK(status.ok(), "sentencepiece tokenizer: cannot decode {} pieces ({})", pieces.size(),
                 status.ToString());
    return text;
  }

  std::string kind() const override { return "sentencepiece"; }

  std::string to_json() const override {
    return nlohmann::json{{"kind", "sentencepiece"}, {"model", base64_encode(model_proto_)}}.dump();
  }

 private:
  std::string model_proto_;
  sentencepiece::SentencePieceProcessor processor_;
};

}  // namespace

std::unique_ptr<Tokenizer> train_sentencepiece(const std::vector<std::string>& text, int64_t vocab_size) {
  ATTEND_CHECK(vocab_size > 0, "train_tokenizer: sentencepiece_vocab must be positive, got {}", vocab_size);
  const bool has_text = std::any_of(text.begin(), text.end(), [](const std::string& s) {
    return s.find_first_not_of(" \t\r\n\v\f") != std::string::npos;
  });
  ATTEND_CHECK(has_text, "train_tokenizer: sentencepiece needs at least one non-blank sentence to train on, got {} "
               "blank or no sentences", text.size());
  VectorIterator iterator(text);
  std::string model_proto;
  const std::unordered_map<std::string, std::string> options = {
      {"model_type", "unigram"},
      {"vocab_size", std::to_string(vocab_size)},
      {"hard_vocab_limit", "false"},  // a small corpus gets fewer pieces instead of an error
      {"num_threads", std::to_string(kTrainerThreads)},
      {"minloglevel", "2"},  // no progress log on stderr; errors come back as a status
  };
  const sentencepiece::util::Status status =
      sentencepiece::SentencePieceTrainer::Train(options, &iterator, &model_proto);
  ATTEND_CHECK(status.ok(), "train_tokenizer: SentencePiece training failed with sentencepiece_vocab {} on {} "
               "sentences: {}", vocab_size, text.size(), status.ToString());
  return std::make_unique<SentencePieceTokenizer>(std::move(model_proto), "train_tokenizer");
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_proto, const std::string& what) {
  return std::make_unique<SentencePieceTokenizer>(model_proto, what);
}

}  // namespace attend::data::detail
