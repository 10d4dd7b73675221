// Corpus readers: TSV and aligned files, the skip rules and their report, and every reader error.
#include "attend/data/corpus.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace attend::data {
namespace {

using attend::testing::error_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

/// A fresh folder per test, removed afterwards; write() puts bytes in a file there exactly as given.
class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "attend_corpus_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string write(const std::string& name, const std::string& bytes) const {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(CorpusTest, TsvReadsPairsInOrderWithWhere) {
  const std::string p = write("t.tsv", "a b\tA B\nc\tC");  // the last line has no LF
  const ParallelCorpus c = read_tsv(p);
  EXPECT_THAT(c.src, ElementsAre("a b", "c"));
  EXPECT_THAT(c.tgt, ElementsAre("A B", "C"));
  EXPECT_THAT(c.where, ElementsAre(p + ":1", p + ":2"));
  EXPECT_EQ(c.size(), 2);
  EXPECT_EQ(c.report.read, 2);
  EXPECT_EQ(c.report.kept, 2);
  EXPECT_TRUE(c.report.skipped.empty());
  EXPECT_EQ(c.report.summary(), "read 2 lines, kept 2");
}

TEST_F(CorpusTest, TsvSkipsEmptyAndMalformedLinesAndListsEachOne) {
  const std::string p = write("t.tsv",
                              "hello\tbonjour\r\n"   // 1 kept, CR dropped
                              "\n"                   // 2 empty
                              "no tab here\n"        // 3 malformed
                              "   \tx\n"             // 4 blank source
                              "x\t\n"                // 5 empty target
                              "a\tb\tc\n"            // 6 two tabs
                              "ok\tfine\r\n");       // 7 kept
  const ParallelCorpus c = read_tsv(p);
  EXPECT_THAT(c.src, ElementsAre("hello", "ok"));
  EXPECT_THAT(c.tgt, ElementsAre("bonjour", "fine"));
  EXPECT_THAT(c.where, ElementsAre(p + ":1", p + ":7"));
  const CorpusReport& r = c.report;
  EXPECT_EQ(r.read, 7);
  EXPECT_EQ(r.kept, 2);
  EXPECT_EQ(r.empty, 3);
  EXPECT_EQ(r.malformed, 2);
  EXPECT_EQ(r.too_long, 0);
  ASSERT_EQ(r.skipped.size(), 5u);
  const std::pair<std::string, std::string> want[] = {{p + ":2", "empty"},        {p + ":3", "no tab"},
                                                      {p + ":4", "empty source"}, {p + ":5", "empty target"},
                                                      {p + ":6", "2 tabs (expected 1)"}};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(r.skipped[i].where, want[i].first) << i;
    EXPECT_EQ(r.skipped[i].reason, want[i].second) << i;
  }
  EXPECT_EQ(r.summary(), fmt::format("read 7 lines, kept 2, skipped 5: 3 empty ({0}:2, {0}:4, {0}:5), 2 malformed "
                                     "({0}:3, {0}:6)",
                                     p));
}

TEST_F(CorpusTest, TsvDropsTheByteOrderMark) {
  const ParallelCorpus c = read_tsv(write("bom.tsv", "\xEF\xBB\xBFsrc\ttgt\n"));
  EXPECT_THAT(c.src, ElementsAre("src"));
  EXPECT_THAT(c.tgt, ElementsAre("tgt"));
}

TEST_F(CorpusTest, TsvKeepsMultiByteText) {
  const ParallelCorpus c = read_tsv(write("u.tsv", "caf\xC3\xA9 \xE4\xB8\xAD\t\xF0\x9F\x98\x80\n"));
  EXPECT_THAT(c.src, ElementsAre("caf\xC3\xA9 \xE4\xB8\xAD"));
  EXPECT_THAT(c.tgt, ElementsAre("\xF0\x9F\x98\x80"));
}

TEST_F(CorpusTest, InvalidUtf8NamesFileLineAndByteColumn) {
  const std::string p = write("bad.tsv", "ok\tfine\nab\xC3(\tx\n");
  const std::string e = error_of([&] { read_tsv(p); });
  EXPECT_THAT(e, HasSubstr(p + " line 2, byte column 3"));
  EXPECT_THAT(e, HasSubstr("invalid UTF-8"));
  EXPECT_THAT(e, HasSubstr("0xC3"));
  // A byte-order mark still counts in the column: BOM (3 bytes), 'a', then 0xFF at column 5.
  EXPECT_THAT(error_of([&] { read_tsv(write("bom.tsv", "\xEF\xBB\xBF" "a\xFF\tb\n")); }),
              HasSubstr("line 1, byte column 5"));
  // Surrogates and overlong forms are invalid too.
  EXPECT_THAT(error_of([&] { read_tsv(write("s.tsv", "x\t\xED\xA0\x80\n")); }), HasSubstr("line 1, byte column 3"));
  EXPECT_THAT(error_of([&] { read_tsv(write("o.tsv", "\xC0\xAF\tx\n")); }), HasSubstr("line 1, byte column 1"));
}

TEST_F(CorpusTest, MissingFileOrFolderNamesPathAndReason) {
  const std::string missing = (dir_ / "nope.tsv").string();
  std::string e = error_of([&] { read_tsv(missing); });
  EXPECT_THAT(e, HasSubstr("read_tsv: cannot open '" + missing + "'"));
  EXPECT_THAT(e, HasSubstr("No such file or directory"));
  e = error_of([&] { read_tsv(dir_.string()); });
  EXPECT_THAT(e, HasSubstr(dir_.string()));
  EXPECT_THAT(e, HasSubstr("Is a directory"));
  EXPECT_THAT(error_of([&] { read_tsv(""); }), HasSubstr("the path is empty"));
  const std::string src = write("a.src", "x\n");
  e = error_of([&] { read_parallel(src, missing); });
  EXPECT_THAT(e, HasSubstr("read_parallel: cannot open '" + missing + "'"));
}

TEST_F(CorpusTest, ParallelFilesReadAlignedLines) {
  const std::string src = write("a.en", "one\n\ntwo\r\nthree\n");
  const std::string tgt = write("a.de", "eins\nx\nzwei\r\n   \n");
  const ParallelCorpus c = read_parallel(src, tgt);
  EXPECT_THAT(c.src, ElementsAre("one", "two"));
  EXPECT_THAT(c.tgt, ElementsAre("eins", "zwei"));
  EXPECT_THAT(c.where, ElementsAre(src + ":1", src + ":3"));
  EXPECT_EQ(c.report.read, 4);
  EXPECT_EQ(c.report.kept, 2);
  EXPECT_EQ(c.report.empty, 2);
  ASSERT_EQ(c.report.skipped.size(), 2u);
  EXPECT_EQ(c.report.skipped[0].where, src + ":2");  // the empty side's file
  EXPECT_EQ(c.report.skipped[0].reason, "empty source");
  EXPECT_EQ(c.report.skipped[1].where, tgt + ":4");
  EXPECT_EQ(c.report.skipped[1].reason, "empty target");
}

TEST_F(CorpusTest, ParallelLineCountMismatchNamesBothFilesAndCounts) {
  const std::string src = write("b.en", "1\n2\n3\n");
  const std::string tgt = write("b.de", "1\n2\n");
  const std::string e = error_of([&] { read_parallel(src, tgt); });
  EXPECT_THAT(e, HasSubstr("'" + src + "' has 3 lines but '" + tgt + "' has 2"));
  EXPECT_THAT(e, HasSubstr("aligned"));
}

TEST_F(CorpusTest, ParallelInvalidUtf8NamesTheFileItIsIn) {
  const std::string src = write("c.en", "fine\nfine\n");
  const std::string tgt = write("c.de", "gut\ng\xE4t\n");  // Latin-1 'ä'
  EXPECT_THAT(error_of([&] { read_parallel(src, tgt); }), HasSubstr(tgt + " line 2, byte column 2"));
}

TEST(Corpus, FromPairsValidatesAndFiltersLikeAFile) {
  const ParallelCorpus c = from_pairs({{"24 Nov 2026", "2026-11-24"}, {"", "x"}, {"a", "b"}}, "demo");
  EXPECT_THAT(c.src, ElementsAre("24 Nov 2026", "a"));
  EXPECT_THAT(c.where, ElementsAre("demo:1", "demo:3"));
  EXPECT_EQ(c.report.summary(), "read 3 lines, kept 2, skipped 1: 1 empty (demo:2)");
  EXPECT_THAT(error_of([] { from_pairs({{"ok", "ok"}, {"ok", "\x80"}}, "demo"); }),
              HasSubstr("from_pairs: demo line 2 (target), byte column 1: invalid UTF-8"));
}

TEST(Corpus, SummaryListsEveryKindOfSkippedLine) {
  CorpusReport r;
  r.read = 10;
  r.kept = 6;
  r.empty = 1;
  r.too_long = 2;
  r.malformed = 1;
  r.skipped = {{"t:3", "too long (9 > 5 tokens)"}, {"t:4", "empty"}, {"t:7", "no tab"}, {"t:9", "too long (6 > 5 tokens)"}};
  EXPECT_EQ(r.summary(), "read 10 lines, kept 6, skipped 4: 1 empty (t:4), 2 too long (t:3, t:9), 1 malformed (t:7)");
}

}  // namespace
}  // namespace attend::data
