// Internal (explain/): token labels rasterised with stb_truetype for the PNG heatmap. The fonts are Debian's:
// DejaVu Sans (fonts-dejavu-core: Latin, Greek, Cyrillic, Hebrew, Arabic) first, WenQuanYi Micro Hei
// (fonts-wqy-microhei: CJK) for the glyphs DejaVu lacks. ATTEND_FONTS (files separated by ':') goes before them.
// Each code point is drawn with the first font that has it (else the first font's missing-glyph box). No shaping:
// a label with right-to-left letters (Hebrew, Arabic) is laid out right to left by reversing its code points
// (digit and Latin runs inside keep their order); Arabic letters appear in their isolated forms.
//
// Usage:
//   const LabelFont& font = LabelFont::get();           // loaded once per process
//   GreyBitmap text = font.render("Straße", 14);          // coverage 0..255, one line
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attend::explain::detail {

struct GreyBitmap {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  ///< row-major coverage, 0 (empty) .. 255 (ink)
  int baseline = 0;             ///< row of the baseline
};

class LabelFont {
 public:
  /// The process-wide fonts. Throws attend::Error listing the files looked for when none can be loaded.
  static const LabelFont& get();
  ~LabelFont();

  /// One line of UTF-8 text at `pixel_height`: ascent + descent rows high, as wide as the advances.
  GreyBitmap render(const std::string& text, int pixel_height) const;
  /// Width in pixels render() would give.
  int measure(const std::string& text, int pixel_height) const;
  /// Files loaded, in fallback order.
  std::vector<std::string> files() const;

  struct Impl;

 private:
  LabelFont();
  std::unique_ptr<Impl> impl_;
};

/// Code points in display order: reversed when the text has right-to-left letters (see the file comment).
std::vector<char32_t> visual_order(const std::vector<char32_t>& logical);

}  // namespace attend::explain::detail
