// Tokenizers: char on multi-byte text, word, SentencePiece training/encode/decode, and JSON round trips and errors.
#include "attend/data/tokenizer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "test_util.hpp"

namespace attend::data {
namespace {

using attend::testing::error_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CharTokenizer, OnePiecePerCodePointRoundTrips) {
  const auto tok = train_tokenizer("char", {}, 0);
  EXPECT_EQ(tok->kind(), "char");
  // é (2 bytes), 中 (3 bytes), 😀 (4 bytes), ASCII and a space.
  const std::string text = "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80" "a b";
  const std::vector<std::string> pieces = tok->encode(text);
  EXPECT_THAT(pieces, ElementsAre("\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "a", " ", "b"));
  EXPECT_EQ(tok->decode(pieces), text);
  EXPECT_TRUE(tok->encode("").empty());
}

TEST(CharTokenizer, InvalidUtf8NamesTheByte) {
  const auto tok = train_tokenizer("char", {}, 0);
  const std::string e = error_of([&] { tok->encode("ab\xE4\xB8"); });  // truncated 3-byte sequence
  EXPECT_THAT(e, HasSubstr("char tokenizer: invalid UTF-8 at byte 2"));
  EXPECT_THAT(e, HasSubstr("0xE4"));
}

TEST(WordTokenizer, SplitsOnWhitespaceAndJoinsWithOneSpace) {
  const auto tok = train_tokenizer("word", {"ignored"}, 0);
  EXPECT_EQ(tok->kind(), "word");
  EXPECT_THAT(tok->encode("  the  cat\tsat\r\non \xC3\xA9t\xC3\xA9 "), ElementsAre("the", "cat", "sat", "on", "\xC3\xA9t\xC3\xA9"));
  EXPECT_EQ(tok->decode({"the", "cat", "sat"}), "the cat sat");
  EXPECT_EQ(tok->decode(tok->encode("one two three")), "one two three");
  EXPECT_TRUE(tok->encode(" \t ").empty());
}

TEST(Tokenizer, CharAndWordRebuildFromJson) {
  for (const char* kind : {"char", "word"}) {
    const auto tok = train_tokenizer(kind, {}, 0);
    const auto back = tokenizer_from_json(tok->to_json());
    EXPECT_EQ(back->kind(), kind);
    EXPECT_EQ(back->encode("x y\xC3\xA9"), tok->encode("x y\xC3\xA9"));
  }
}

TEST(Tokenizer, UnknownKindIsAnError) {
  EXPECT_THAT(error_of([] { train_tokenizer("bpe", {}, 0); }),
              HasSubstr("train_tokenizer: unknown tokenizer kind 'bpe' (expected char, word or sentencepiece)"));
}

// A tiny corpus: training takes a few milliseconds.
std::vector<std::string> tiny_corpus() {
  std::vector<std::string> text;
  const char* sentences[] = {"the cat sat on the mat", "the dog sat on the log", "a cat and a dog",
                             "the cats sat together", "dogs and cats on mats", "le chat est sur le tapis",
                             "caf\xC3\xA9 cr\xC3\xA8me au lait"};
  for (int repeat = 0; repeat < 3; ++repeat) {
    for (const char* s : sentences) text.emplace_back(s);
  }
  return text;
}

std::vector<std::string> directory_entries() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::current_path())) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(SentencePieceTokenizer, TrainsEncodesAndDecodesInMemory) {
  const std::vector<std::string> before = directory_entries();
  const auto tok = train_tokenizer("sentencepiece", tiny_corpus(), 40);
  EXPECT_EQ(directory_entries(), before);  // no model or vocab file written
  EXPECT_EQ(tok->kind(), "sentencepiece");
  const std::string text = "the cat sat on the mat";
  const std::vector<std::string> pieces = tok->encode(text);
  EXPECT_GT(pieces.size(), 1u);
  EXPECT_LT(pieces.size(), text.size());  // subwords, not characters
  EXPECT_EQ(pieces.front().rfind("\xE2\x96\x81", 0), 0u) << pieces.front();  // a word start is marked with ▁
  EXPECT_EQ(tok->decode(pieces), text);
  for (const std::string& s : tiny_corpus()) EXPECT_EQ(tok->decode(tok->encode(s)), s);
  // A character never seen in training comes out as its own piece and decodes back.
  EXPECT_EQ(tok->decode(tok->encode("the \xE2\x98\x83 cat")), "the \xE2\x98\x83 cat");
}

TEST(SentencePieceTokenizer, TrainingIsDeterministicAndJsonRebuildsTheSameEncoder) {
  const auto a = train_tokenizer("sentencepiece", tiny_corpus(), 40);
  const auto b = train_tokenizer("sentencepiece", tiny_corpus(), 40);
  EXPECT_EQ(a->to_json(), b->to_json());
  const auto back = tokenizer_from_json(a->to_json());
  EXPECT_EQ(back->kind(), "sentencepiece");
  EXPECT_EQ(back->to_json(), a->to_json());
  for (const std::string& s : tiny_corpus()) EXPECT_EQ(back->encode(s), a->encode(s)) << s;
  EXPECT_EQ(back->encode("cats and dogs sat"), a->encode("cats and dogs sat"));
}

TEST(SentencePieceTokenizer, TrainingErrorsNameTheProblem) {
  EXPECT_THAT(error_of([] { train_tokenizer("sentencepiece", {"", "  "}, 40); }),
              HasSubstr("needs at least one non-blank sentence"));
  EXPECT_THAT(error_of([] { train_tokenizer("sentencepiece", tiny_corpus(), 0); }),
              HasSubstr("sentencepiece_vocab must be positive, got 0"));
  // Fewer pieces than the corpus has characters: SentencePiece refuses, and its reason is passed on.
  EXPECT_THAT(error_of([] { train_tokenizer("sentencepiece", tiny_corpus(), 5); }),
              HasSubstr("train_tokenizer: SentencePiece training failed with sentencepiece_vocab 5"));
}

TEST(Tokenizer, MalformedJsonNamesWhatIsWrong) {
  EXPECT_THAT(error_of([] { tokenizer_from_json("{\"kind\": "); }), HasSubstr("tokenizer_from_json: not valid JSON"));
  EXPECT_THAT(error_of([] { tokenizer_from_json("[1, 2]"); }), HasSubstr("expected an object with a string \"kind\""));
  EXPECT_THAT(error_of([] { tokenizer_from_json(R"({"kind": 3})"); }), HasSubstr("a string \"kind\""));
  EXPECT_THAT(error_of([] { tokenizer_from_json(R"({"kind": "bytes"})"); }), HasSubstr("unknown tokenizer kind 'bytes'"));
  EXPECT_THAT(error_of([] { tokenizer_from_json(R"({"kind": "sentencepiece"})"); }),
              HasSubstr("needs a string \"model\""));
  EXPECT_THAT(error_of([] { tokenizer_from_json(R"({"kind": "sentencepiece", "model": "abc"})"); }),
              HasSubstr("\"model\": not valid base64 (length 3 is not a multiple of 4)"));
  EXPECT_THAT(error_of([] { tokenizer_from_json(R"({"kind": "sentencepiece", "model": "ab!d"})"); }),
              HasSubstr("\"model\": not valid base64 (character '!' at offset 2)"));
  EXPECT_THAT(error_of([] { tokenizer_from_json(R"({"kind": "sentencepiece", "model": "a=bc"})"); }),
              HasSubstr("character '=' at offset 1"));
  // Valid base64 of bytes that are not a model proto ("hello world!").
  EXPECT_THAT(error_of([] { tokenizer_from_json(R"({"kind": "sentencepiece", "model": "aGVsbG8gd29ybGQh"})"); }),
              HasSubstr("tokenizer_from_json: \"model\": not a SentencePiece model proto"));
  EXPECT_THAT(error_of([] { tokenizer_from_json(R"({"kind": "sentencepiece", "model": ""})"); }),
              HasSubstr("not a SentencePiece model proto"));
}

TEST(Tokenizer, TruncatedSentencePieceModelIsAnErrorNotACrash) {
  const auto tok = train_tokenizer("sentencepiece", tiny_corpus(), 40);
  std::string json = tok->to_json();
  const size_t model = json.find("\"model\":\"") + 9;
  // Keep a prefix of the base64 whose length is a multiple of 4, so only the proto is broken.
  const std::string truncated = json.substr(0, model + 400) + "\"}";
  EXPECT_THAT(error_of([&] { tokenizer_from_json(truncated); }), HasSubstr("not a SentencePiece model proto"));
}

}  // namespace
}  // namespace attend::data
