// Tokenizer: text <-> pieces (strings), the step before the vocabulary (vocab.hpp) maps pieces to ids.
//
// Three kinds:
//   char           one piece per Unicode code point of the UTF-8 text (spaces included); decode concatenates.
//   word           pieces are the runs of non-whitespace (ASCII space, tab, CR, LF, VT, FF); decode joins with one
//                  space, so it inverts encode on text whose words are separated by single spaces.
//   sentencepiece  a unigram SentencePiece model (Kudo & Richardson 2018, "SentencePiece: A simple and language
//                  independent subword tokenizer"; Kudo 2018, "Subword Regularization"), trained with Debian's
//                  libsentencepiece in memory: no file is read or written. Default normalization (nmt_nfkc:
//                  NFKC, runs of whitespace collapsed, leading/trailing whitespace removed); pieces mark a word start
//                  with U+2581 "▁"; decode inverts encode on normalized text. Characters the model does not know
//                  come out as their own pieces (surface text), so decode still restores them.
// A tokenizer is saved as JSON ({"kind": "char"}, {"kind": "word"}, {"kind": "sentencepiece", "model": base64 of the
// serialized model proto}) inside checkpoints, and rebuilt from it identically.
//
// Usage:
//   auto tok = train_tokenizer("sentencepiece", corpus.src, /*sentencepiece_vocab*/ 8000);
//   std::vector<std::string> pieces = tok->encode("Hello world");   // {"▁Hello", "▁world"}
//   auto same = tokenizer_from_json(tok->to_json());                 // same->encode(...) == tok->encode(...)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace attend::data {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  /// Splits text into pieces. The char tokenizer throws attend::Error naming the byte offset on invalid UTF-8.
  virtual std::vector<std::string> encode(std::string_view text) const = 0;
  /// Joins pieces back into text: the inverse of encode on normal text (see the kinds above).
  virtual std::string decode(const std::vector<std::string>& pieces) const = 0;
  /// "char", "word" or "sentencepiece".
  virtual std::string kind() const = 0;
  /// Everything needed to rebuild this tokenizer with tokenizer_from_json.
  virtual std::string to_json() const = 0;
};

/// Builds a tokenizer of `kind` ("char", "word" or "sentencepiece"). char and word need no training and ignore `text`.
/// sentencepiece trains a unigram model on `text` (one sentence per element) with at most `sentencepiece_vocab` pieces
/// (fewer when the text is too small for that many; the vocabulary is a soft limit), deterministically: the same
/// text and size give the same model on any machine. Throws attend::Error naming the kind when it is unknown, when
/// `text` has no non-blank sentence for sentencepiece, or when SentencePiece rejects the training (its message).
std::unique_ptr<Tokenizer> train_tokenizer(const std::string& kind, const std::vector<std::string>& text,
                                           int64_t sentencepiece_vocab);

/// Rebuilds a tokenizer from to_json's output. Throws attend::Error naming what is malformed: not JSON, no string
/// "kind", an unknown kind, a missing or non-base64 "model", or a model proto SentencePiece cannot load.
std::unique_ptr<Tokenizer> tokenizer_from_json(const std::string& json);

}  // namespace attend::data
