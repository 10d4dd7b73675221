// Internal (data/): the SentencePiece kind of Tokenizer, kept apart so only one file sees libsentencepiece.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attend/data/tokenizer.hpp"

namespace attend::data::detail {

/// Trains a unigram model in memory on `text` with at most `vocab_size` pieces (soft limit).
std::unique_ptr<Tokenizer> train_sentencepiece(const std::vector<std::string>& text, int64_t vocab_size);

/// Loads a serialized ModelProto; throws naming `what` and SentencePiece's message when it is not one.
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_proto, const std::string& what);

}  // namespace attend::data::detail
