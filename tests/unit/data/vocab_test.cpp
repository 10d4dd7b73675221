// Vocab: specials, ordering by frequency then first appearance, limits, <unk>, decode rules, JSON and its errors.
#include "attend/data/vocab.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/data/batch.hpp"
#include "test_util.hpp"

namespace attend::data {
namespace {

using attend::testing::error_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Counts: b 3, a 2, c 1, d 1 (c appears before d).
const std::vector<std::vector<std::string>> kSentences = {{"b", "a", "b"}, {"c", "a", "b"}, {"d"}};

TEST(Vocab, DefaultHoldsTheFourSpecialsAtTheirIds) {
  const Vocab v;
  EXPECT_EQ(v.size(), 4);
  EXPECT_EQ(v.id("<pad>"), kPadId);
  EXPECT_EQ(v.id("<unk>"), kUnkId);
  EXPECT_EQ(v.id("<s>"), kBosId);
  EXPECT_EQ(v.id("</s>"), kEosId);
  EXPECT_EQ(v.id("anything"), kUnkId);
}

TEST(Vocab, OrdersByFrequencyThenFirstAppearance) {
  const Vocab v = Vocab::build(kSentences);
  EXPECT_THAT(v.tokens(), ElementsAre("<pad>", "<unk>", "<s>", "</s>", "b", "a", "c", "d"));
  EXPECT_EQ(v.size(), 8);
  EXPECT_EQ(v.id("b"), 4);
  EXPECT_EQ(v.token(7), "d");
  EXPECT_TRUE(v.contains("c"));
  EXPECT_FALSE(v.contains("e"));
  // Same sentences, same vocabulary; a tie broken the other way round when d appears first.
  EXPECT_EQ(Vocab::build(kSentences), v);
  const Vocab w = Vocab::build({{"d", "c"}, {"b", "b"}});
  EXPECT_THAT(w.tokens(), ElementsAre("<pad>", "<unk>", "<s>", "</s>", "b", "d", "c"));
}

TEST(Vocab, MinFrequencyAndMaxSizeLeaveRareTokensToUnk) {
  const Vocab frequent = Vocab::build(kSentences, {.min_frequency = 2});
  EXPECT_THAT(frequent.tokens(), ElementsAre("<pad>", "<unk>", "<s>", "</s>", "b", "a"));
  EXPECT_EQ(frequent.id("c"), kUnkId);
  const Vocab small = Vocab::build(kSentences, {.max_size = 1});
  EXPECT_THAT(small.tokens(), ElementsAre("<pad>", "<unk>", "<s>", "</s>", "b"));
  const Vocab both = Vocab::build(kSentences, {.min_frequency = 3, .max_size = 5});
  EXPECT_EQ(both.size(), 5);
  EXPECT_THAT(small.encode({"b", "a", "zzz"}), ElementsAre(4, kUnkId, kUnkId));
}

TEST(Vocab, TokensSpelledLikeSpecialsMapToTheSpecials) {
  const Vocab v = Vocab::build({{"<unk>", "x", "<s>", "</s>", "<pad>"}});
  EXPECT_THAT(v.tokens(), ElementsAre("<pad>", "<unk>", "<s>", "</s>", "x"));
  EXPECT_EQ(v.id("<unk>"), kUnkId);
}

TEST(Vocab, BadOptionsAreErrors) {
  EXPECT_THAT(error_of([] { Vocab::build(kSentences, {.min_frequency = 0}); }),
              HasSubstr("Vocab::build: min_frequency must be >= 1, got 0"));
  EXPECT_THAT(error_of([] { Vocab::build(kSentences, {.max_size = -2}); }),
              HasSubstr("Vocab::build: max_size must be >= 0 (0: no limit), got -2"));
}

TEST(Vocab, DecodeStopsAtEosAndDropsPadAndBos) {
  const Vocab v = Vocab::build(kSentences);
  EXPECT_THAT(v.decode({kBosId, 4, kPadId, 5, kUnkId, kEosId, 6, 7}), ElementsAre("b", "a", "<unk>"));
  EXPECT_THAT(v.decode(v.encode({"c", "a", "d"})), ElementsAre("c", "a", "d"));
  EXPECT_THAT(error_of([&] { v.decode({4, 8}); }),
              HasSubstr("Vocab::token: id 8 is out of range for a vocabulary of 8 tokens"));
  EXPECT_THAT(error_of([&] { v.token(-1); }), HasSubstr("id -1 is out of range"));
}

TEST(Vocab, JsonRoundTripKeepsEveryId) {
  const Vocab v = Vocab::build({{"caf\xC3\xA9", "\xE4\xB8\xAD", "\"quoted\"", "back\\slash", "caf\xC3\xA9"}});
  const Vocab back = Vocab::from_json(v.to_json());
  EXPECT_EQ(back, v);
  for (int64_t i = 0; i < v.size(); ++i) EXPECT_EQ(back.id(v.token(i)), i);
}

TEST(Vocab, MalformedJsonNamesWhatIsWrong) {
  EXPECT_THAT(error_of([] { Vocab::from_json("{\"tokens\": [\"<pad>\""); }), HasSubstr("Vocab::from_json: not valid JSON"));
  EXPECT_THAT(error_of([] { Vocab::from_json("[\"<pad>\"]"); }), HasSubstr("expected an object with a \"tokens\" array"));
  EXPECT_THAT(error_of([] { Vocab::from_json(R"({"tokens": "abc"})"); }), HasSubstr("a \"tokens\" array"));
  EXPECT_THAT(error_of([] { Vocab::from_json(R"({"tokens": ["<pad>", "<unk>", "<s>", "</s>", 7]})"); }),
              HasSubstr("tokens[4] must be a string, got 7"));
  EXPECT_THAT(error_of([] { Vocab::from_json(R"({"tokens": ["<pad>", "<unk>"]})"); }),
              HasSubstr("tokens[2] must be the special token '<s>', got nothing"));
  EXPECT_THAT(error_of([] { Vocab::from_json(R"({"tokens": ["<pad>", "<s>", "<unk>", "</s>"]})"); }),
              HasSubstr("tokens[1] must be the special token '<unk>', got '<s>'"));
  EXPECT_THAT(error_of([] { Vocab::from_json(R"({"tokens": ["<pad>", "<unk>", "<s>", "</s>", "a", "b", "a"]})"); }),
              HasSubstr("duplicate token 'a' at tokens[4] and tokens[6]"));
}

TEST(Vocab, InvalidUtf8TokenCannotBeSaved) {
  const Vocab v = Vocab::build({{"ok", "\xFF"}});
  EXPECT_THAT(error_of([&] { v.to_json(); }), HasSubstr("Vocab::to_json: token 5 is not valid UTF-8"));
}

}  // namespace
}  // namespace attend::data
