// Corpus BLEU as sacreBLEU 2.x computes it by default: the 13a tokenizer, n-gram statistics per line summed over the
// corpus, "exp" smoothing. The arithmetic follows sacreBLEU's order of operations so the doubles come out equal.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "attend/core/error.hpp"
#include "attend/train/metrics.hpp"

namespace attend::train {

namespace {

constexpr int kMaxOrder = 4;

// --- Python's notion of whitespace over UTF-8 --------------------------------------------------------------------

// True for the code points Python's str.isspace() accepts (what str.split() and str.rstrip() remove).
bool is_python_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Length in bytes of the whitespace character starting at s[i], or 0 when s[i] does not start one. Only valid UTF-8
// sequences decode; any other byte is a character of its own that is not whitespace.
size_t space_length(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return is_python_space(b0) ? 1 : 0;
  auto cont = [&](size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  auto bits = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
  if ((b0 & 0xE0) == 0xC0 && cont(1)) {
    const uint32_t c = ((b0 & 0x1Fu) << 6) | bits(1);
    return c >= 0x80 && is_python_space(c) ? 2 : 0;
  }
  if ((b0 & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    const uint32_t c = ((b0 & 0x0Fu) << 12) | (bits(1) << 6) | bits(2);
    return c >= 0x800 && is_python_space(c) ? 3 : 0;
  }
  return 0;  // 4-byte sequences hold no whitespace
}

// str.split(): the maximal runs without whitespace.
std::vector<std::string_view> split_python(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0, start = std::string_view::npos;
  while (i < s.size()) {
    const size_t n = space_length(s, i);
    if (n > 0) {
      if (start != std::string_view::npos) tokens.push_back(s.substr(start, i - start));
      start = std::string_view::npos;
      i += n;
    } else {
      if (start == std::string_view::npos) start = i;
      ++i;
    }
  }
  if (start != std::string_view::npos) tokens.push_back(s.substr(start));
  return tokens;
}

// str.rstrip(): removes trailing whitespace.
std::string_view rstrip_python(std::string_view s) {
  size_t end = 0, i = 0;  // end: just past the last character that is not whitespace
  while (i < s.size()) {
    const size_t n = space_length(s, i);
    i += n > 0 ? n : 1;
    if (n == 0) end = i;
  }
  return s.substr(0, end);
}

// --- the 13a rules -----------------------------------------------------------------------------------------------

// str.replace: every non-overlapping occurrence, left to right.
std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  for (size_t at = s.find(from); at != std::string_view::npos; at = s.find(from, i)) {
    out.append(s.substr(i, at - i)).append(to);
    i = at + from.size();
  }
  return out.append(s.substr(i));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The class [\{-\~\[-\` -\&\(-\+\:-\@\/] of the first 13a regular expression.
bool is_split_symbol(char c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') || (c >= '(' && c <= '+') ||
         (c >= ':' && c <= '@') || c == '/';
}

// re.sub with a two-character pattern (a)(b): scans left to right, and after a match goes on past both characters.
// Multi-byte UTF-8 characters need no decoding: every pattern needs an ASCII character in a place that only matches
// at the first or last byte of a character, so matches and resumption points are those of the code-point scan.
template <class Match, class Emit>
std::string sub_pairs(const std::string& s, Match match, Emit emit) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  size_t i = 0;
  while (i + 1 < s.size()) {
    if (match(s[i], s[i + 1])) {
      emit(out, s[i], s[i + 1]);
      i += 2;
    } else {
      out.push_back(s[i++]);
    }
  }
  if (i < s.size()) out.push_back(s[i]);
  return out;
}

struct Stats {
  int64_t hyp_length = 0, ref_length = 0;
  std::array<int64_t, kMaxOrder> matches{}, totals{};
};

using NgramCounts = std::unordered_map<std::string, int64_t>;

// All n-grams, 1 <= n <= 4, as their tokens joined by ' ' (no 13a token contains a space).
NgramCounts count_ngrams(const std::vector<std::string_view>& tokens) {
  NgramCounts counts;
  for (int n = 1; n <= kMaxOrder; ++n) {
    for (size_t i = 0; i + n <= tokens.size(); ++i) {
      std::string key(tokens[i]);
      for (int k = 1; k < n; ++k) key.append(" ").append(tokens[i + k]);
      ++counts[key];
    }
  }
  return counts;
}

int order_of(const std::string& ngram) {
  int n = 1;
  for (char c : ngram) n += c == ' ';
  return n;
}

// sacreBLEU's _preprocess_segment: rstrip, then the tokenizer.
std::string preprocess(const std::string& line) { return tokenize_13a(rstrip_python(line)); }

}  // namespace

std::string tokenize_13a(std::string_view text) {
  std::string line = replace_all(text, "<skipped>", "");
  line = replace_all(line, "-\n", "");
  line = replace_all(line, "\n", " ");
  line = replace_all(line, "&quot;", "\"");
  line = replace_all(line, "&amp;", "&");
  line = replace_all(line, "&lt;", "<");
  line = replace_all(line, "&gt;", ">");

  std::string spaced = " ";  // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
  spaced.reserve(line.size() * 2 + 2);
  for (char c : line) {
    if (is_split_symbol(c)) {
      spaced.append(" ").push_back(c);
      spaced.push_back(' ');
    } else {
      spaced.push_back(c);
    }
  }
  spaced.push_back(' ');
  auto period_or_comma = [](char c) { return c == '.' || c == ','; };
  // ([^0-9])([\.,]) -> "\1 \2 "
  spaced = sub_pairs(
      spaced, [&](char a, char b) { return !is_digit(a) && period_or_comma(b); },
      [](std::string& out, char a, char b) { out.append({a, ' ', b, ' '}); });
  // ([\.,])([^0-9]) -> " \1 \2"
  spaced = sub_pairs(
      spaced, [&](char a, char b) { return period_or_comma(a) && !is_digit(b); },
      [](std::string& out, char a, char b) { out.append({' ', a, ' ', b}); });
  // ([0-9])(-) -> "\1 \2 "
  spaced = sub_pairs(
      spaced, [](char a, char b) { return is_digit(a) && b == '-'; },
      [](std::string& out, char a, char b) { out.append({a, ' ', b, ' '}); });

  std::string out;
  for (std::string_view token : split_python(spaced)) {
    if (!out.empty()) out.push_back(' ');
    out.append(token);
  }
  return out;
}

BleuScore compute_bleu(const std::array<int64_t, 4>& matches, const std::array<int64_t, 4>& totals, int64_t hyp_length,
                       int64_t ref_length) {
  BleuScore s;
  s.matches = matches;
  s.totals = totals;
  s.hyp_length = hyp_length;
  s.ref_length = ref_length;
  s.ratio = ref_length != 0 ? static_cast<double>(hyp_length) / static_cast<double>(ref_length) : 0.0;
  if (hyp_length < ref_length) {
    s.brevity_penalty =
        hyp_length > 0 ? std::exp(1.0 - static_cast<double>(ref_length) / static_cast<double>(hyp_length)) : 0.0;
  } else {
    s.brevity_penalty = 1.0;
  }
  bool any_match = false;
  for (int64_t m : matches) any_match = any_match || m != 0;
  if (!any_match) return s;  // score 0, precisions 0 (sacreBLEU's early stop)

  double smooth = 1.0;
  for (int n = 0; n < kMaxOrder; ++n) {
    if (totals[n] == 0) break;
    if (matches[n] == 0) {
      smooth *= 2.0;
      s.precisions[n] = 100.0 / (smooth * static_cast<double>(totals[n]));
    } else {
      s.precisions[n] = 100.0 * static_cast<double>(matches[n]) / static_cast<double>(totals[n]);
    }
  }
  double log_sum = 0.0;  // Python's sum() from 0, left to right; log(0) floored as sacreBLEU's my_log does
  for (double p : s.precisions) log_sum += p == 0.0 ? -9999999999.0 : std::log(p);
  s.score = s.brevity_penalty * std::exp(log_sum / kMaxOrder);
  return s;
}

std::string BleuScore::to_string() const {
  return fmt::format("BLEU = {:.2f} {:.1f}/{:.1f}/{:.1f}/{:.1f} (BP = {:.3f} ratio = {:.3f} hyp_len = {} ref_len = {})",
                     score, precisions[0], precisions[1], precisions[2], precisions[3], brevity_penalty, ratio,
                     hyp_length, ref_length);
}

BleuScore corpus_bleu_multi(const std::vector<std::string>& hyps,
                            const std::vector<std::vector<std::string>>& ref_streams) {
  ATTEND_CHECK(!ref_streams.empty() || hyps.empty(), "corpus_bleu: no references for {} hypotheses", hyps.size());
  for (size_t k = 0; k < ref_streams.size(); ++k) {
    ATTEND_CHECK(ref_streams[k].size() == hyps.size(),
                 "corpus_bleu: reference stream {} has {} lines but there are {} hypotheses", k, ref_streams[k].size(),
                 hyps.size());
  }
  Stats total;
  for (size_t i = 0; i < hyps.size(); ++i) {
    NgramCounts ref_counts;
    std::vector<int64_t> ref_lengths;
    for (const auto& stream : ref_streams) {
      if (stream[i].empty()) continue;
      const std::string ref = preprocess(stream[i]);
      const std::vector<std::string_view> tokens = split_python(ref);
      ref_lengths.push_back(static_cast<int64_t>(tokens.size()));
      for (auto& [ngram, count] : count_ngrams(tokens)) {
        int64_t& best = ref_counts[ngram];
        best = std::max(best, count);
      }
    }
    ATTEND_CHECK(!ref_lengths.empty(), "corpus_bleu: the reference of line {} is empty (sacreBLEU rejects it too)",
                 i + 1);
    const std::string hyp = preprocess(hyps[i]);
    const std::vector<std::string_view> tokens = split_python(hyp);
    const auto hyp_length = static_cast<int64_t>(tokens.size());
    int64_t closest = -1, closest_diff = -1;  // the closest reference length, the shorter on a tie
    for (int64_t len : ref_lengths) {
      const int64_t diff = std::abs(hyp_length - len);
      if (closest_diff == -1 || diff < closest_diff || (diff == closest_diff && len < closest)) {
        closest_diff = diff;
        closest = len;
      }
    }
    total.hyp_length += hyp_length;
    total.ref_length += closest;
    for (const auto& [ngram, count] : count_ngrams(tokens)) {
      const int n = order_of(ngram) - 1;
      total.totals[n] += count;
      const auto it = ref_counts.find(ngram);
      if (it != ref_counts.end()) total.matches[n] += std::min(count, it->second);
    }
  }
  return compute_bleu(total.matches, total.totals, total.hyp_length, total.ref_length);
}

BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::string>& refs) {
  ATTEND_CHECK(hyps.size() == refs.size(), "corpus_bleu: {} hypotheses but {} references (one per hypothesis)",
               hyps.size(), refs.size());
  return corpus_bleu_multi(hyps, {refs});
}

}  // namespace attend::train
