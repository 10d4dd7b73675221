// The char and word tokenizers, the factory, and rebuilding any tokenizer from its JSON.
#include "attend/data/tokenizer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "../io/utf8.hpp"
#include "attend/core/error.hpp"
#include "base64.hpp"
#include "sentencepiece_tokenizer.hpp"

namespace attend::data {

namespace {

constexpr const char* kWhitespace = " \t\r\n\v\f";

// Bytes of the UTF-8 sequence that starts with `lead` (valid input assumed).
size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

class CharTokenizer final : public Tokenizer {
 public:
  std::vector<std::string> encode(std::string_view text) const override {
    const size_t bad = attend::detail::invalid_utf8_offset(text);
    ATTEND_CHECK(bad == std::string_view::npos,
                 "char tokenizer: invalid UTF-8 at byte {} of a text of {} bytes (the sequence starting with byte "
                 "0x{:02X})",
                 bad, text.size(), static_cast<unsigned char>(text[bad]));
    std::vector<std::string> pieces;
    pieces.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
      const size_t n = sequence_length(static_cast<unsigned char>(text[i]));
      pieces.emplace_back(text.substr(i, n));
      i += n;
    }
    return pieces;
  }

  std::string decode(const std::vector<std::string>& pieces) const override {
    std::string text;
    for (const std::string& p : pieces) text += p;
    return text;
  }

  std::string kind() const override { return "char"; }
  std::string to_json() const override { return R"({"kind":"char"})"; }
};

class WordTokenizer final : public Tokenizer {
 public:
  std::vector<std::string> encode(std::string_view text) const override {
    std::vector<std::string> pieces;
    size_t start = text.find_first_not_of(kWhitespace);
    while (start != std::string_view::npos) {
      const size_t end = std::min(text.find_first_of(kWhitespace, start), text.size());
      pieces.emplace_back(text.substr(start, end - start));
      start = text.find_first_not_of(kWhitespace, end);
    }
    return pieces;
  }

  std::string decode(const std::vector<std::string>& pieces) const override {
    std::string text;
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (i > 0) text += ' ';
      text += pieces[i];
    }
    return text;
  }

  std::string kind() const override { return "word"; }
  std::string to_json() const override { return R"({"kind":"word"})"; }
};

}  // namespace

std::unique_ptr<Tokenizer> train_tokenizer(const std::string& kind, const std::vector<std::string>& text,
                                           int64_t sentencepiece_vocab) {
  if (kind == "char") return std::make_unique<CharTokenizer>();
  if (kind == "word") return std::make_unique<WordTokenizer>();
  if (kind == "sentencepiece") return detail::train_sentencepiece(text, sentencepiece_vocab);
  throw Error(fmt::format("train_tokenizer: unknown tokenizer kind '{}' (expected char, word or sentencepiece)", kind));
}

std::unique_ptr<Tokenizer> tokenizer_from_json(const std::string& json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("tokenizer_from_json: not valid JSON ({})", e.what()));
  }
  ATTEND_CHECK(j.is_object() && j.contains("kind") && j["kind"].is_string(),
               "tokenizer_from_json: expected an object with a string \"kind\", got {}",
               j.dump().substr(0, 80));
  const std::string kind = j["kind"].get<std::string>();
  if (kind == "char") return std::make_unique<CharTokenizer>();
  if (kind == "word") return std::make_unique<WordTokenizer>();
  ATTEND_CHECK(kind == "sentencepiece",
               "tokenizer_from_json: unknown tokenizer kind '{}' (expected char, word or sentencepiece)", kind);
  ATTEND_CHECK(j.contains("model") && j["model"].is_string(),
               "tokenizer_from_json: a sentencepiece tokenizer needs a string \"model\" (the model proto in base64)");
  const std::string proto = detail::base64_decode(j["model"].get<std::string>(), "tokenizer_from_json: \"model\"");
  return detail::load_sentencepiece(proto, "tokenizer_from_json: \"model\"");
}

}  // namespace attend::data
