// SVG heatmap (see the header).
#include "attend/explain/svg_heatmap.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace attend::explain {
namespace {

constexpr int kCell = 24;
constexpr int kFontSize = 13;
constexpr int kTitleHeight = 26;
constexpr int kGap = 8;

/// Rough rendered width of a label in pixels: wide (CJK, Hangul, full-width) code points count double.
int label_width(const std::string& label) {
  int w = 0;
  for (char32_t cp : decode_utf8(label)) {
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFF00 && cp <= 0xFF60) || cp >= 0x20000;
    w += wide ? kFontSize + 1 : (kFontSize * 5 + 7) / 8;
  }
  return w;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string svg_heatmap(const Heatmap& map) {
  check_heatmap(map, "svg_heatmap");
  const auto T = static_cast<int>(map.rows.size()), S = static_cast<int>(map.columns.size());
  std::vector<std::string> rows, cols;
  int row_width = 0, col_height = 0;
  for (const auto& r : map.rows) {
    rows.push_back(display_label(r));
    row_width = std::max(row_width, label_width(rows.back()));
  }
  for (const auto& c : map.columns) {
    cols.push_back(display_label(c));
    col_height = std::max(col_height, label_width(cols.back()));
  }
  const int title_h = map.title.empty() ? 0 : kTitleHeight;
  const int left = row_width + 2 * kGap, top = title_h + col_height + 2 * kGap;
  const std::string title = map.title.empty() ? "" : shorten_text(map.title, 100);
  const int width = std::max(left + S * kCell + kGap, label_width(title) + 2 * kGap);
  const int height = top + T * kCell + kGap;
  const std::vector<double> w = heatmap_values(map);
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, WenQuanYi Micro Hei, sans-serif\" font-size=\"{2}\">\n"
      "<g fill=\"#000000\">\n",
      width, height, kFontSize);
  if (!map.title.empty()) {
    out += fmt::format("<text class=\"title\" x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text>\n", kGap,
                       kTitleHeight - kGap, xml_escape(title));
  }
  for (int s = 0; s < S; ++s) {  // source labels, reading upwards, ending just above their column
    out += fmt::format("<text class=\"col\" transform=\"translate({},{}) rotate(-90)\">{}</text>\n",
                       left + s * kCell + kCell / 2 + kFontSize / 3, top - kGap, xml_escape(cols[static_cast<size_t>(s)]));
  }
  for (int t = 0; t < T; ++t) {
    out += fmt::format("<text class=\"row\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - kGap,
                       top + t * kCell + kCell / 2 + kFontSize / 3, xml_escape(rows[static_cast<size_t>(t)]));
  }
  out += "</g>\n<g stroke=\"#d0d0d0\" stroke-width=\"0.5\">\n";
  for (int t = 0; t < T; ++t) {
    for (int s = 0; s < S; ++s) {
      const double v = w[static_cast<size_t>(t * S + s)];
      out += fmt::format("<rect class=\"cell\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">"
                         "<title>{} → {}: {:.3f}</title></rect>\n",
                         left + s * kCell, top + t * kCell, kCell, kCell, hex_color(heatmap_color(v)),
                         xml_escape(rows[static_cast<size_t>(t)]), xml_escape(cols[static_cast<size_t>(s)]), v);
    }
  }
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace attend::explain
