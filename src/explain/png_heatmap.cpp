// PNG heatmap (see the header).
#include "attend/explain/png_heatmap.hpp"

#include <stb_image_write.h>

#include <algorithm>

#include "attend/core/error.hpp"
#include "attend/io/text_file.hpp"
#include "label_font.hpp"

namespace attend::explain {
namespace {

constexpr int kCell = 22;       // cell side, grid line excluded
constexpr int kPitch = kCell + 1;
constexpr int kFontPx = 15;
constexpr int kTitlePx = 16;
constexpr int kGap = 8;
constexpr size_t kTitlePoints = 100;  // longer titles end with "…"

struct Layout {
  std::vector<std::string> rows, cols;
  std::string title;
  int left = 0, top = 0, width = 0, height = 0, title_h = 0;
};

Layout layout_of(const Heatmap& map) {
  const detail::LabelFont& font = detail::LabelFont::get();
  Layout l;
  int row_w = 0, col_h = 0;
  for (const auto& r : map.rows) {
    l.rows.push_back(display_label(r));
    row_w = std::max(row_w, font.measure(l.rows.back(), kFontPx));
  }
  for (const auto& c : map.columns) {
    l.cols.push_back(display_label(c));
    col_h = std::max(col_h, font.measure(l.cols.back(), kFontPx));
  }
  l.title_h = map.title.empty() ? 0 : kTitlePx + kGap;
  l.left = row_w + 2 * kGap;
  l.top = kGap + l.title_h + col_h + kGap;
  const int S = static_cast<int>(map.columns.size()), T = static_cast<int>(map.rows.size());
  l.title = shorten_text(map.title, kTitlePoints);
  l.width = std::max(l.left + S * kPitch + 1 + kGap, font.measure(l.title, kTitlePx) + 2 * kGap);
  l.height = l.top + T * kPitch + 1 + kGap;
  return l;
}

struct Canvas {
  int width, height;
  std::vector<uint8_t> rgb;
  Canvas(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w * h * 3), 255) {}
  void fill(int x, int y, int w, int h, Rgb c) {
    for (int Y = std::max(0, y); Y < std::min(height, y + h); ++Y) {
      for (int X = std::max(0, x); X < std::min(width, x + w); ++X) {
        uint8_t* p = &rgb[static_cast<size_t>((Y * width + X) * 3)];
        p[0] = c.r, p[1] = c.g, p[2] = c.b;
      }
    }
  }
  /// Black ink with coverage a (0..255) over what is there.
  void ink(int X, int Y, uint8_t a) {
    if (X < 0 || Y < 0 || X >= width || Y >= height || a == 0) return;
    uint8_t* p = &rgb[static_cast<size_t>((Y * width + X) * 3)];
    for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>(p[k] * (255 - a) / 255);
  }
  /// Horizontal text with its top-left corner at (x, y).
  void text(const detail::GreyBitmap& b, int x, int y) {
    for (int r = 0; r < b.height; ++r)
      for (int c = 0; c < b.width; ++c) ink(x + c, y + r, b.pixels[static_cast<size_t>(r * b.width + c)]);
  }
  /// Text rotated a quarter turn to read upwards: its start at the bottom (x, y_bottom), its top facing left.
  void text_up(const detail::GreyBitmap& b, int x, int y_bottom) {
    for (int r = 0; r < b.height; ++r)
      for (int c = 0; c < b.width; ++c) ink(x + r, y_bottom - c, b.pixels[static_cast<size_t>(r * b.width + c)]);
  }
};

void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

}  // namespace

PngCellRect png_cell_rect(const Heatmap& map, int64_t t, int64_t s) {
  check_heatmap(map, "png_heatmap");
  const Layout l = layout_of(map);
  return {l.left + 1 + static_cast<int>(s) * kPitch, l.top + 1 + static_cast<int>(t) * kPitch, kCell};
}

std::string png_heatmap(const Heatmap& map) {
  check_heatmap(map, "png_heatmap");
  const detail::LabelFont& font = detail::LabelFont::get();
  const Layout l = layout_of(map);
  const int T = static_cast<int>(map.rows.size()), S = static_cast<int>(map.columns.size());
  Canvas canvas(l.width, l.height);
  if (!map.title.empty()) canvas.text(font.render(l.title, kTitlePx), kGap, kGap);
  const std::vector<double> w = heatmap_values(map);
  canvas.fill(l.left, l.top, S * kPitch + 1, T * kPitch + 1, {208, 208, 208});  // the grid lines
  for (int t = 0; t < T; ++t) {
    for (int s = 0; s < S; ++s) {
      canvas.fill(l.left + 1 + s * kPitch, l.top + 1 + t * kPitch, kCell, kCell,
                  heatmap_color(w[static_cast<size_t>(t * S + s)]));
    }
  }
  for (int t = 0; t < T; ++t) {  // target labels, right-aligned, centred on their row
    const detail::GreyBitmap b = font.render(l.rows[static_cast<size_t>(t)], kFontPx);
    canvas.text(b, l.left - kGap - b.width, l.top + 1 + t * kPitch + (kCell - b.height) / 2);
  }
  for (int s = 0; s < S; ++s) {  // source labels, reading upwards, ending just above their column
    const detail::GreyBitmap b = font.render(l.cols[static_cast<size_t>(s)], kFontPx);
    canvas.text_up(b, l.left + 1 + s * kPitch + (kCell - b.height) / 2, l.top - kGap);
  }
  std::string bytes;
  const int ok = stbi_write_png_to_func(append, &bytes, canvas.width, canvas.height, 3, canvas.rgb.data(),
                                        canvas.width * 3);
  ATTEND_CHECK(ok != 0 && !bytes.empty(), "png_heatmap: stb_image_write could not encode a {}x{} image",
               canvas.width, canvas.height);
  return bytes;
}

void write_png_heatmap(const std::string& path, const Heatmap& map) { write_text_file(path, png_heatmap(map)); }

}  // namespace attend::explain
