// The 13a tokenizer and corpus BLEU against hand counts and sacreBLEU's published outputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/train/metrics.hpp"
#include "test_util.hpp"

namespace attend::train {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::error_of;

// --- tokenize_13a ------------------------------------------------------------------------------------------------

TEST(Tokenize13a, SplitsPeriodAndCommaOffWords) {
  EXPECT_EQ(tokenize_13a("Hello, world."), "Hello , world .");
  EXPECT_EQ(tokenize_13a("\"Hi,\" she said."), "\" Hi , \" she said .");
  EXPECT_EQ(tokenize_13a("x.y"), "x . y");
  EXPECT_EQ(tokenize_13a("a..."), "a . . .");  // each match consumes two characters, so the rules run in turn
  EXPECT_EQ(tokenize_13a("e.g., U.S.A."), "e . g . , U . S . A .");
}

TEST(Tokenize13a, KeepsPeriodAndCommaBetweenDigits) {
  EXPECT_EQ(tokenize_13a("3.14"), "3.14");
  EXPECT_EQ(tokenize_13a("5,000."), "5,000 .");  // the last '.' has no digit after it
  EXPECT_EQ(tokenize_13a("1.a"), "1 . a");         // digit before, letter after: split by the third rule
  EXPECT_EQ(tokenize_13a("a.1"), "a . 1");         // letter before: split by the second rule
  EXPECT_EQ(tokenize_13a("Mr. Smith paid $1,234.56 on 2026-11-24."),
            "Mr . Smith paid $ 1,234.56 on 2026 - 11 - 24 .");
}

TEST(Tokenize13a, SplitsDashOnlyAfterADigit) {
  EXPECT_EQ(tokenize_13a("1990-2000"), "1990 - 2000");
  EXPECT_EQ(tokenize_13a("It wasn't 3.5-4.0."), "It wasn't 3.5 - 4.0 .");  // the apostrophe stays inside the word
  EXPECT_EQ(tokenize_13a("well-known a-2"), "well-known a-2");
  EXPECT_EQ(tokenize_13a("2-a"), "2 - a");
}

TEST(Tokenize13a, SplitsEveryAsciiSymbolOfTheFirstRule) {
  EXPECT_EQ(tokenize_13a("a(b)c[d]{e}"), "a ( b ) c [ d ] { e }");
  EXPECT_EQ(tokenize_13a("$5 @home #tag 50% a+b=c x/y a_b ~ ^ ` | \\ ! ? : ;"),
            "$ 5 @ home # tag 50 % a + b = c x / y a _ b ~ ^ ` | \\ ! ? : ;");
  EXPECT_EQ(tokenize_13a("<a>&*"), "< a > & *");
}

TEST(Tokenize13a, UnescapesTheFourEntitiesOnceInOrder) {
  EXPECT_EQ(tokenize_13a("&quot;Hi&quot;"), "\" Hi \"");
  EXPECT_EQ(tokenize_13a("&lt;b&gt; &amp; c"), "< b > & c");
  // "&amp;quot;" holds no "&quot;" when that is replaced; "&amp;" -> "&" then leaves "&quot;", which stays text.
  EXPECT_EQ(tokenize_13a("&amp;quot;"), "& quot ;");
  EXPECT_EQ(tokenize_13a("&apos;"), "& apos ;");  // not one of the four
}

TEST(Tokenize13a, RemovesSkippedAndJoinsLines) {
  EXPECT_EQ(tokenize_13a("a <skipped> b"), "a b");
  EXPECT_EQ(tokenize_13a("line-\nbreak two\nlines"), "linebreak two lines");
}

TEST(Tokenize13a, WhitespaceIsPythonsAndUtf8PassesThrough) {
  EXPECT_EQ(tokenize_13a(""), "");
  EXPECT_EQ(tokenize_13a(" \t\r\n "), "");
  // U+00A0 no-break space, U+3000 ideographic space, U+2028 line separator: all whitespace to str.split().
  EXPECT_EQ(tokenize_13a("a\u00a0b\u3000c\u2028d"), "a b c d");
  EXPECT_EQ(tokenize_13a("é. «quoted»"), "é . «quoted»");  // non-ASCII punctuation is not split by 13a
  EXPECT_EQ(tokenize_13a("\xff."), "\xff .");               // invalid UTF-8 is kept byte for byte
}

// --- corpus_bleu ---------------------------------------------------------------------------------------------------

TEST(CorpusBleu, PerfectMatchIs100) {
  const BleuScore b = corpus_bleu({"the cat sat on the mat"}, {"the cat sat on the mat"});
  EXPECT_NEAR(b.score, 100.0, 1e-9);
  EXPECT_THAT(b.matches, ElementsAre(6, 5, 4, 3));
  EXPECT_THAT(b.totals, ElementsAre(6, 5, 4, 3));
  EXPECT_EQ(b.brevity_penalty, 1.0);
  EXPECT_EQ(b.to_string(), "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)");
}

TEST(CorpusBleu, EmptyHypothesisScoresZeroWithZeroBrevityPenalty) {
  const BleuScore b = corpus_bleu({""}, {"the cat sat on the mat"});
  EXPECT_EQ(b.score, 0.0);
  EXPECT_EQ(b.brevity_penalty, 0.0);
  EXPECT_EQ(b.hyp_length, 0);
  EXPECT_EQ(b.ref_length, 6);
  EXPECT_EQ(b.to_string(), "BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 0.000 ratio = 0.000 hyp_len = 0 ref_len = 6)");
  EXPECT_EQ(corpus_bleu({}, {}).score, 0.0);
}

TEST(CorpusBleu, BrevityPenaltyOnAShortHypothesis) {
  // hyp "the cat sat on the" (5 tokens) is a prefix of the 6-token reference: every n-gram matches
  // (5/5, 4/4, 3/3, 2/2), so BLEU = BP = exp(1 - 6/5) = exp(-0.2).
  const BleuScore b = corpus_bleu({"the cat sat on the"}, {"the cat sat on the mat"});
  EXPECT_NEAR(b.brevity_penalty, std::exp(-0.2), 1e-15);
  EXPECT_NEAR(b.score, 100.0 * std::exp(-0.2), 1e-9);
  EXPECT_NEAR(b.ratio, 5.0 / 6.0, 1e-15);
  // Longer than the reference: no penalty.
  EXPECT_EQ(corpus_bleu({"the cat sat on the mat today"}, {"the cat sat on the mat"}).brevity_penalty, 1.0);
}

TEST(CorpusBleu, NoFourGramAtAllScoresZero) {
  // 2 tokens have no 3-gram: sacreBLEU stops at the first order with total 0, its precision stays 0, log floors it.
  const BleuScore b = corpus_bleu({"the cat"}, {"the cat sat on the mat"});
  EXPECT_EQ(b.score, 0.0);
  EXPECT_THAT(b.precisions, ElementsAre(100.0, 100.0, 0.0, 0.0));
  EXPECT_NEAR(b.brevity_penalty, std::exp(1.0 - 3.0), 1e-15);
}

TEST(CorpusBleu, ExpSmoothingOfAnOrderWithoutMatches) {
  // sacreBLEU's test_bleu.py statistics case. hyp "am I am a character sequence" (6), ref "I am a symbol string
  // sequence a a" (8). 1-grams: am (2, clipped to 1), I, a, sequence match, character not: 4/6. 2-grams: "I am",
  // "am a": 2/5. 3-grams: "I am a": 1/4. 4-grams: 0/3, smoothed to 100 / (2 · 3).
  const BleuScore b = corpus_bleu({"am I am a character sequence"}, {"I am a symbol string sequence a a"});
  EXPECT_THAT(b.matches, ElementsAre(4, 2, 1, 0));
  EXPECT_THAT(b.totals, ElementsAre(6, 5, 4, 3));
  EXPECT_NEAR(b.precisions[3], 100.0 / 6.0, 1e-12);
  const double expected = std::exp(1.0 - 8.0 / 6.0) * std::pow(400.0 / 6 * 40.0 * 25.0 * (100.0 / 6), 0.25);
  EXPECT_NEAR(b.score, expected, 1e-9);  // 23.2634...
  EXPECT_EQ(b.to_string(), "BLEU = 23.26 66.7/40.0/25.0/16.7 (BP = 0.717 ratio = 0.750 hyp_len = 6 ref_len = 8)");
}

TEST(CorpusBleu, TwoSentenceCorpusByHand) {
  // 1: hyp "The cat sat on the mat ." vs ref "The cat is on the mat ." (13a splits the final period)
  //    1-grams 6/7 (all but "sat"); 2-grams "The cat", "on the", "the mat", "mat ." 4/6;
  //    3-grams "on the mat", "the mat ." 2/5; 4-grams "on the mat ." 1/4.
  // 2: hyp "A dog barked !" vs ref "The dog barked loudly !"
  //    1-grams dog, barked, ! 3/4; 2-grams "dog barked" 1/3; 3-grams 0/2; 4-grams 0/1.
  // Corpus: matches 9/5/2/1 of 11/9/7/5, hyp_len 11, ref_len 12, BP = exp(1 - 12/11).
  const BleuScore b =
      corpus_bleu({"The cat sat on the mat.", "A dog barked!"}, {"The cat is on the mat.", "The dog barked loudly!"});
  EXPECT_THAT(b.matches, ElementsAre(9, 5, 2, 1));
  EXPECT_THAT(b.totals, ElementsAre(11, 9, 7, 5));
  EXPECT_EQ(b.hyp_length, 11);
  EXPECT_EQ(b.ref_length, 12);
  const double expected =
      std::exp(1.0 - 12.0 / 11.0) * std::pow(900.0 / 11.0 * (500.0 / 9.0) * (200.0 / 7.0) * 20.0, 0.25);
  EXPECT_NEAR(b.score, expected, 1e-9);  // 36.6567...
  EXPECT_EQ(b.to_string(), "BLEU = 36.66 81.8/55.6/28.6/20.0 (BP = 0.913 ratio = 0.917 hyp_len = 11 ref_len = 12)");
}

TEST(CorpusBleu, CaseSensitive) {
  EXPECT_NEAR(corpus_bleu({"a b c d"}, {"a b c d"}).score, 100.0, 1e-9);
  EXPECT_THAT(corpus_bleu({"A b c d"}, {"a b c d"}).matches, ElementsAre(3, 2, 1, 0));
}

TEST(CorpusBleu, RightStripsBeforeTokenizing) {
  // sacreBLEU rstrips each line first: "a b c d-\n" becomes "a b c d-", identical to the reference. Tokenizing first
  // would have removed "-\n" and given "a b c d".
  EXPECT_NEAR(corpus_bleu({"a b c d-\n"}, {"a b c d-"}).score, 100.0, 1e-9);
}

TEST(CorpusBleu, SacreBleuReadmeExampleWithTwoReferences) {
  // sacreBLEU's README and test_bleu.py: 48.530827 and the printed line below.
  const std::vector<std::vector<std::string>> refs = {
      {"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
      {"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."}};
  const std::vector<std::string> hyps = {"The dog bit the man.", "It wasn't surprising.",
                                         "The man had just bitten him."};
  const BleuScore b = corpus_bleu_multi(hyps, refs);
  EXPECT_NEAR(b.score, 48.530827, 1e-6);
  EXPECT_EQ(b.to_string(), "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)");
  EXPECT_EQ(corpus_bleu_multi({"", "", ""}, refs).score, 0.0);  // test_bleu.py: empty hypotheses are kept
}

TEST(CorpusBleu, SacreBleuSentenceExampleWithUtf8) {
  // sacreBLEU's test_sentence_bleu.py (issue #98), 13a with exp smoothing: 8.493. Matches 5/2/0/0 of 14/13/12/11.
  const BleuScore b = corpus_bleu({"Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;"},
                                  {"producţia de zahăr brut se exprimă în zahăr alb;"});
  EXPECT_NEAR(b.score, 8.493, 1e-3);
  EXPECT_THAT(b.matches, ElementsAre(5, 2, 0, 0));
}

TEST(CorpusBleu, ComputeFromStatistics) {
  // sacreBLEU's test_scoring: counts 9/7/5/3 of 10/8/6/4, lengths 11 and 11 -> 0.8375922397.
  EXPECT_NEAR(compute_bleu({9, 7, 5, 3}, {10, 8, 6, 4}, 11, 11).score, 83.75922397, 1e-8);
}

TEST(CorpusBleu, ClosestReferenceLengthPrefersTheShorterOnATie) {
  // hyp of 3 tokens, references of 2 and 4: both 1 away, the shorter counts.
  EXPECT_EQ(corpus_bleu_multi({"a b c"}, {{"a b"}, {"a b c d"}}).ref_length, 2);
  EXPECT_EQ(corpus_bleu_multi({"a b c"}, {{"a b c d"}, {"a b"}}).ref_length, 2);
  // An empty reference of a line is skipped when another is left.
  EXPECT_EQ(corpus_bleu_multi({"a b c"}, {{""}, {"a b c d"}}).ref_length, 4);
}

TEST(CorpusBleu, ErrorsNameTheProblem) {
  EXPECT_THAT(error_of([] { corpus_bleu({"a", "b"}, {"a"}); }), HasSubstr("2 hypotheses but 1 references"));
  EXPECT_THAT(error_of([] { corpus_bleu({"a", "b"}, {"a", ""}); }), HasSubstr("reference of line 2 is empty"));
  EXPECT_THAT(error_of([] { corpus_bleu_multi({"a", "b"}, {{"a", "b"}, {"a"}}); }),
              HasSubstr("reference stream 1 has 1 lines but there are 2 hypotheses"));
}

}  // namespace
}  // namespace attend::train
