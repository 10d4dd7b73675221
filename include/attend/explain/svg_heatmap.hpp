// SVG heatmap: a Heatmap (heatmap.hpp) as a standalone SVG document. One <rect class="cell"> per weight, row-major,
// filled with heatmap_color and carrying a <title> tooltip "target → source: 0.123"; target labels (<text
// class="row">) at the left, source labels (<text class="col">) above the columns, rotated to read upwards; the
// title on top. Labels are XML-escaped and shown through display_label; the viewer lays out right-to-left scripts
// and picks fonts (DejaVu Sans, then WenQuanYi Micro Hei, then any sans-serif).
//
// Usage:
//   write_text_file("attention.svg", svg_heatmap(map));
#pragma once

#include <string>
#include <string_view>

#include "attend/explain/heatmap.hpp"

namespace attend::explain {

/// Throws attend::Error as check_heatmap("svg_heatmap") does.
std::string svg_heatmap(const Heatmap& map);

/// & < > " ' as XML/HTML character references.
std::string xml_escape(std::string_view text);

}  // namespace attend::explain
