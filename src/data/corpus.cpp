// Parallel corpus readers: whole-file read, line split (LF, optional CR, BOM), UTF-8 validation, skip rules.
#include "attend/data/corpus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "../io/utf8.hpp"
#include "attend/core/error.hpp"

namespace attend::data {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos; }

std::string read_text_file(const std::string& path, const char* op) {
  ATTEND_CHECK(!path.empty(), "{}: no file given (the path is empty)", op);
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  ATTEND_CHECK(file != nullptr, "{}: cannot open '{}': {}", op, path, std::strerror(errno));
  std::string content;
  char buffer[1 << 16];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    content.append(buffer, n);
    if (n < sizeof(buffer)) break;
  }
  // A folder opens but fails here with EISDIR.
  ATTEND_CHECK(!std::ferror(file.get()), "{}: cannot read '{}': {}", op, path, std::strerror(errno));
  return content;
}

struct Line {
  int64_t number;         // 1-based
  std::string_view text;  // without LF, CR or BOM
  size_t column_base;     // bytes dropped before `text` on this line (3 for a BOM), for error columns
};

std::vector<Line> split_lines(std::string_view content) {
  std::vector<Line> lines;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view text = content.substr(start, end - start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    size_t base = 0;
    if (lines.empty() && text.starts_with(kBom)) {
      text.remove_prefix(kBom.size());
      base = kBom.size();
    }
    lines.push_back({static_cast<int64_t>(lines.size()) + 1, text, base});
    start = end + 1;
  }
  return lines;
}

/// Throws naming the op, the file (or in-memory name), the line, the side when given, and the 1-based byte column.
void check_utf8(std::string_view text, const char* op, const std::string& name, int64_t line, size_t column_base,
                const char* side = "") {
  const size_t at = detail::invalid_utf8_offset(text);
  ATTEND_CHECK(at == std::string_view::npos,
               "{}: {} line {}{}, byte column {}: invalid UTF-8 (the sequence starting with byte 0x{:02X} is not "
               "valid UTF-8)",
               op, name, line, side, column_base + at + 1, static_cast<unsigned char>(text[at]));
}

void skip(CorpusReport& report, std::string where, std::string reason) {
  if (reason.starts_with("empty")) {
    ++report.empty;
  } else if (reason.starts_with("too long")) {
    ++report.too_long;
  } else {
    ++report.malformed;
  }
  report.skipped.push_back({std::move(where), std::move(reason)});
}

/// Keeps the pair or skips it as empty; `read` was already counted by the caller.
void add_pair(ParallelCorpus& corpus, std::string_view src, std::string_view tgt, std::string src_where,
              std::string tgt_where) {
  const bool src_blank = is_blank(src), tgt_blank = is_blank(tgt);
  if (src_blank && tgt_blank) {
    skip(corpus.report, std::move(src_where), "empty");
  } else if (src_blank) {
    skip(corpus.report, std::move(src_where), "empty source");
  } else if (tgt_blank) {
    skip(corpus.report, std::move(tgt_where), "empty target");
  } else {
    corpus.src.emplace_back(src);
    corpus.tgt.emplace_back(tgt);
    corpus.where.push_back(std::move(src_where));
    ++corpus.report.kept;
  }
}

std::string where_of(const std::string& name, int64_t line) { return fmt::format("{}:{}", name, line); }

}  // namespace

std::string CorpusReport::summary() const {
  std::string out = fmt::format("read {} lines, kept {}", read, kept);
  const int64_t skipped_count = empty + too_long + malformed;
  if (skipped_count == 0 && skipped.empty()) return out;
  out += fmt::format(", skipped {}:", skipped_count);
  struct Kind {
    const char* label;
    int64_t count;
    int which;  // 0 empty, 1 too long, 2 malformed
  };
  const Kind kinds[] = {{"empty", empty, 0}, {"too long", too_long, 1}, {"malformed", malformed, 2}};
  bool first = true;
  for (const Kind& kind : kinds) {
    std::string list;
    for (const SkippedLine& s : skipped) {
      const int which = s.reason.starts_with("empty") ? 0 : s.reason.starts_with("too long") ? 1 : 2;
      if (which != kind.which) continue;
      if (!list.empty()) list += ", ";
      list += s.where;
    }
    if (kind.count == 0 && list.empty()) continue;
    out += fmt::format("{} {} {}", first ? "" : ",", kind.count, kind.label);
    if (!list.empty()) out += fmt::format(" ({})", list);
    first = false;
  }
  return out;
}

ParallelCorpus read_tsv(const std::string& path) {
  const std::string content = read_text_file(path, "read_tsv");
  ParallelCorpus corpus;
  for (const Line& line : split_lines(content)) {
    check_utf8(line.text, "read_tsv", path, line.number, line.column_base);
    ++corpus.report.read;
    std::string where = where_of(path, line.number);
    const size_t tab = line.text.find('\t');
    if (tab == std::string_view::npos) {
      skip(corpus.report, std::move(where), is_blank(line.text) ? "empty" : "no tab");
      continue;
    }
    const std::string_view src = line.text.substr(0, tab), tgt = line.text.substr(tab + 1);
    const size_t extra_tabs = static_cast<size_t>(std::count(tgt.begin(), tgt.end(), '\t'));
    if (extra_tabs > 0) {
      skip(corpus.report, std::move(where), fmt::format("{} tabs (expected 1)", extra_tabs + 1));
      continue;
    }
    std::string tgt_where = where;
    add_pair(corpus, src, tgt, std::move(where), std::move(tgt_where));
  }
  return corpus;
}

ParallelCorpus read_parallel(const std::string& src_path, const std::string& tgt_path) {
  const std::string src_content = read_text_file(src_path, "read_parallel");
  const std::string tgt_content = read_text_file(tgt_path, "read_parallel");
  const std::vector<Line> src_lines = split_lines(src_content), tgt_lines = split_lines(tgt_content);
  ATTEND_CHECK(src_lines.size() == tgt_lines.size(),
               "read_parallel: '{}' has {} lines but '{}' has {}; the files must be aligned line by line", src_path,
               src_lines.size(), tgt_path, tgt_lines.size());
  ParallelCorpus corpus;
  for (size_t i = 0; i < src_lines.size(); ++i) {
    const Line& s = src_lines[i];
    const Line& t = tgt_lines[i];
    check_utf8(s.text, "read_parallel", src_path, s.number, s.column_base);
    check_utf8(t.text, "read_parallel", tgt_path, t.number, t.column_base);
    ++corpus.report.read;
    add_pair(corpus, s.text, t.text, where_of(src_path, s.number), where_of(tgt_path, t.number));
  }
  return corpus;
}

ParallelCorpus from_pairs(const std::vector<std::pair<std::string, std::string>>& pairs, const std::string& name) {
  ParallelCorpus corpus;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const int64_t line = static_cast<int64_t>(i) + 1;
    check_utf8(pairs[i].first, "from_pairs", name, line, 0, " (source)");
    check_utf8(pairs[i].second, "from_pairs", name, line, 0, " (target)");
    ++corpus.report.read;
    std::string where = where_of(name, line);
    std::string tgt_where = where;
    add_pair(corpus, pairs[i].first, pairs[i].second, std::move(where), std::move(tgt_where));
  }
  return corpus;
}

}  // namespace attend::data
