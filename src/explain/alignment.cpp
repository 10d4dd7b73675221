// Hard alignments, Pharaoh format and AER (see the header).
#include "attend/explain/alignment.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "attend/core/error.hpp"
#include "attend/core/shape.hpp"

namespace attend::explain {
namespace {

std::vector<double> rows_of(const Tensor& weights, const char* op, int64_t& T, int64_t& S) {
  ATTEND_CHECK(weights.defined() && weights.dim() == 2, "{}: weights must be 2-D [T, S], got shape {}", op,
               weights.defined() ? shape_str(weights.shape()) : std::string("(undefined)"));
  T = weights.shape()[0];
  S = weights.shape()[1];
  return weights.to(DType::f64).contiguous().to_vector<double>();
}

void finish(Alignment& a) {
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end(),
                      [](const AlignmentLink& x, const AlignmentLink& y) {
                        return x.source == y.source && x.target == y.target;
                      }),
          a.end());
}

bool parse_index(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

Alignment argmax_alignment(const Tensor& weights) {
  int64_t T = 0, S = 0;
  const std::vector<double> w = rows_of(weights, "argmax_alignment", T, S);
  Alignment a;
  if (S == 0) return a;
  for (int64_t t = 0; t < T; ++t) {
    const double* row = w.data() + t * S;
    a.push_back({static_cast<int64_t>(std::max_element(row, row + S) - row), t, true});
  }
  finish(a);
  return a;
}

Alignment threshold_alignment(const Tensor& weights, double threshold) {
  ATTEND_CHECK(threshold > 0 && threshold <= 1, "threshold_alignment: threshold must be in (0, 1], got {}",
               threshold);
  int64_t T = 0, S = 0;
  const std::vector<double> w = rows_of(weights, "threshold_alignment", T, S);
  Alignment a;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t s = 0; s < S; ++s)
      if (w[static_cast<size_t>(t * S + s)] >= threshold) a.push_back({s, t, true});
  finish(a);
  return a;
}

std::string to_pharaoh(const Alignment& alignment) {
  Alignment a = alignment;
  finish(a);
  std::string out;
  for (const AlignmentLink& l : a) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}{}{}", l.source, l.sure ? '-' : '?', l.target);
  }
  return out;
}

Alignment parse_pharaoh(const std::string& text) {
  std::istringstream in(text);
  Alignment a;
  std::set<std::pair<int64_t, int64_t>> seen;
  int position = 0;
  for (std::string token; in >> token;) {
    ++position;
    const size_t sep = token.find_first_of("-?p");
    int64_t s = 0, t = 0;
    const bool ok = sep != std::string::npos && parse_index(std::string_view(token).substr(0, sep), s) &&
                    parse_index(std::string_view(token).substr(sep + 1), t);
    ATTEND_CHECK(ok,
                 "parse_pharaoh: link {} '{}' is malformed: expected SOURCE-TARGET with 0-based indices (e.g. "
                 "'3-4'; '3?4' or '3p4' for a possible link)",
                 position, token);
    ATTEND_CHECK(seen.insert({s, t}).second, "parse_pharaoh: link {} '{}' repeats the link {}-{}", position, token, s,
                 t);
    a.push_back({s, t, token[sep] == '-'});
  }
  finish(a);
  return a;
}

AlignmentScores alignment_error_rate(const Alignment& hypothesis, const Alignment& reference) {
  std::set<std::pair<int64_t, int64_t>> A, S, P;
  for (const auto& l : hypothesis) A.insert({l.source, l.target});
  for (const auto& l : reference) {
    P.insert({l.source, l.target});
    if (l.sure) S.insert({l.source, l.target});
  }
  int64_t a_s = 0, a_p = 0;
  for (const auto& link : A) {
    a_s += S.count(link) ? 1 : 0;
    a_p += P.count(link) ? 1 : 0;
  }
  AlignmentScores r;
  r.hypothesis_links = static_cast<int64_t>(A.size());
  r.sure_links = static_cast<int64_t>(S.size());
  r.possible_links = static_cast<int64_t>(P.size());
  r.precision = A.empty() ? 0.0 : static_cast<double>(a_p) / static_cast<double>(A.size());
  r.recall = S.empty() ? 0.0 : static_cast<double>(a_s) / static_cast<double>(S.size());
  const double denom = static_cast<double>(A.size() + S.size());
  r.aer = denom == 0 ? 0.0 : 1.0 - static_cast<double>(a_s + a_p) / denom;
  return r;
}

}  // namespace attend::explain
