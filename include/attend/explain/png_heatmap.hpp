// PNG heatmap: a Heatmap (heatmap.hpp) as an RGB image, written with stb_image_write; token labels are rasterised
// with stb_truetype from Debian's fonts (DejaVu Sans, WenQuanYi Micro Hei for CJK; see src/explain/label_font.hpp).
//
// Layout (pixels): the title on top (when given), source labels above the columns reading upwards, target labels
// right-aligned at the left, then a grid of png_cell_size() square cells filled with heatmap_color and separated by
// 1-pixel light grey lines. Cell (t, s) covers png_cell_rect(...); its centre pixel is exactly heatmap_color(w[t, s]).
// Right-to-left labels are drawn right to left without shaping (Arabic letters in isolated forms).
//
// Usage:
//   write_png_heatmap("attention.png", map);         // atomically: a temporary file renamed into place
#pragma once

#include <string>

#include "attend/explain/heatmap.hpp"

namespace attend::explain {

struct PngCellRect {
  int x = 0, y = 0, size = 0;  ///< top-left pixel and side of one cell (grid lines excluded)
};

/// The encoded PNG file. Throws attend::Error as check_heatmap("png_heatmap") does, or when no label font loads.
std::string png_heatmap(const Heatmap& map);
/// Where cell (t, s) of `map` lies in png_heatmap(map).
PngCellRect png_cell_rect(const Heatmap& map, int64_t t, int64_t s);
/// png_heatmap written all or nothing; throws naming the path when it cannot be written.
void write_png_heatmap(const std::string& path, const Heatmap& map);

}  // namespace attend::explain
