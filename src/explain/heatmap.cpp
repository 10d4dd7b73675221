// Heatmap value, colour scale and labels (see the header).
#include "attend/explain/heatmap.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "attend/core/error.hpp"
#include "attend/core/shape.hpp"

namespace attend::explain {

Rgb heatmap_color(double w) {
  const double v = std::isnan(w) ? 0.0 : std::clamp(w, 0.0, 1.0);
  auto mix = [v](int lo) { return static_cast<uint8_t>(std::lround(255.0 + (lo - 255.0) * v)); };
  return {mix(8), mix(48), mix(107)};
}

std::string hex_color(Rgb c) { return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b); }

void check_heatmap(const Heatmap& map, const char* op) {
  ATTEND_CHECK(map.weights.defined(), "{}: the heatmap has no weights", op);
  ATTEND_CHECK(map.weights.dim() == 2, "{}: weights must be 2-D [T, S], got shape {}", op,
               shape_str(map.weights.shape()));
  const int64_t T = map.weights.shape()[0], S = map.weights.shape()[1];
  ATTEND_CHECK(T > 0 && S > 0, "{}: nothing to draw: weights of shape {} (an empty source or target)", op,
               shape_str(map.weights.shape()));
  ATTEND_CHECK(static_cast<int64_t>(map.rows.size()) == T,
               "{}: {} row (target) labels for weights of shape {} (expected {})", op, map.rows.size(),
               shape_str(map.weights.shape()), T);
  ATTEND_CHECK(static_cast<int64_t>(map.columns.size()) == S,
               "{}: {} column (source) labels for weights of shape {} (expected {})", op, map.columns.size(),
               shape_str(map.weights.shape()), S);
  const Tensor w = map.weights.to(DType::f64).contiguous();
  const double* p = w.data<double>();
  for (int64_t i = 0; i < T * S; ++i) {
    ATTEND_CHECK(!std::isnan(p[i]), "{}: weight [{}, {}] is NaN", op, i / S, i % S);
  }
}

std::vector<double> heatmap_values(const Heatmap& map) {
  return map.weights.to(DType::f64).contiguous().to_vector<double>();
}

std::vector<char32_t> decode_utf8(const std::string& text) {
  std::vector<char32_t> out;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = true;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string encode_utf8(const std::vector<char32_t>& points) {
  std::string out;
  for (char32_t cp : points) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

std::string shorten_text(const std::string& text, size_t max_points) {
  std::vector<char32_t> points = decode_utf8(text);
  if (max_points == 0 || points.size() <= max_points) return encode_utf8(points);
  points.resize(max_points - 1);
  points.push_back(U'…');
  return encode_utf8(points);
}

std::string display_label(const std::string& label, size_t max_points) {
  if (label.empty()) return "∅";
  std::vector<char32_t> out;
  for (char32_t cp : decode_utf8(label)) {
    if (cp == U' ') out.push_back(U'␣');
    else if (cp == U'\t') out.push_back(U'⇥');
    else if (cp < 0x20 || cp == 0x7F) out.push_back(U'·');
    else out.push_back(cp);
  }
  if (max_points > 0 && out.size() > max_points) {
    out.resize(max_points - 1);
    out.push_back(U'…');
  }
  return encode_utf8(out);
}

}  // namespace attend::explain
