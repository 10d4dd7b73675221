// Parallel corpus: aligned (source, target) sentence pairs read from a TSV file, from two line-aligned files, or from
// memory, with a report of every line that was skipped and why (the data side of `attend train`, as Marian's and
// fairseq's corpus readers do it).
//
// Input rules, the same for every reader:
//   - lines end with LF; a CR before it is dropped (CRLF files read the same); a UTF-8 byte-order mark on line 1 is
//     dropped; a last line without LF counts; the LF that ends the file does not start another line;
//   - text must be valid UTF-8 (RFC 3629): an invalid byte sequence is an attend::Error naming the file, the line and
//     the byte column (1-based), never a skipped line;
//   - a blank line, or a side that is empty or only whitespace, is skipped and counted as "empty";
//   - TSV only: a line that is not "source<TAB>target" (no tab, or more than one) is skipped and counted as malformed.
// Every skipped line is listed in CorpusReport::skipped with its "file:line" and reason; summary() lists them all.
// Text is kept as read (no trimming, no normalization): tokenizers decide what whitespace means.
//
// Usage:
//   ParallelCorpus corpus = read_tsv("train.tsv");             // corpus.src[i] <TAB> corpus.tgt[i]
//   std::cerr << corpus.report.summary() << "\n";              // "read 1000 lines, kept 998, skipped 2: ..."
//   ParallelCorpus pair = read_parallel("train.en", "train.de");
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace attend::data {

/// One skipped line: where ("train.tsv:17") and why ("empty", "empty source", "empty target",
/// "too long (312 > 200 tokens)", "no tab", "2 tabs (expected 1)"). Reasons start with "empty" or "too long" for those
/// two counts; every other reason is a malformed line.
struct SkippedLine {
  std::string where;
  std::string reason;
};

/// Line counts of one read: read = kept + empty + too_long + malformed.
struct CorpusReport {
  int64_t read = 0;
  int64_t kept = 0;
  int64_t empty = 0;
  int64_t too_long = 0;
  int64_t malformed = 0;
  std::vector<SkippedLine> skipped;  ///< in the order they were met

  /// One line listing every skipped line by count and kind:
  /// "read 1000 lines, kept 990, skipped 10: 4 empty (train.tsv:3, ...), 6 too long (train.tsv:8, ...)".
  /// Just "read 1000 lines, kept 1000" when nothing was skipped.
  std::string summary() const;
};

struct ParallelCorpus {
  std::vector<std::string> src;    ///< source sentences, one per kept example
  std::vector<std::string> tgt;    ///< target sentences, aligned with src
  std::vector<std::string> where;  ///< "file:line" of each kept example
  CorpusReport report;
  int64_t size() const { return static_cast<int64_t>(src.size()); }
};

/// Reads "source<TAB>target" lines. Throws attend::Error naming the path and the errno text when the file cannot be
/// read, and naming path, line and byte column on invalid UTF-8. "where" is "<path>:<line>".
ParallelCorpus read_tsv(const std::string& path);

/// Reads two files of one sentence per line, line i of one aligned with line i of the other. Throws when their line
/// counts differ (naming both files and both counts), and as read_tsv otherwise. "where" is "<src_path>:<line>" (the
/// target file's name for a line skipped because only its target side is empty).
ParallelCorpus read_parallel(const std::string& src_path, const std::string& tgt_path);

/// A corpus from pairs already in memory (a generated corpus); pair i is "line" i + 1 of `name` in "where" and in
/// errors. Validated and filtered as a file would be.
ParallelCorpus from_pairs(const std::vector<std::pair<std::string, std::string>>& pairs, const std::string& name);

}  // namespace attend::data
