// Label rasterisation with stb_truetype (see label_font.hpp).
#include "label_font.hpp"

#include <stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "attend/core/error.hpp"
#include "attend/explain/heatmap.hpp"

namespace attend::explain::detail {
namespace {

// Where Debian's font packages put the files (fonts-dejavu-core, fonts-wqy-microhei; fonts-wqy-zenhei as a spare).
const char* const kDefaultFonts[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
};

struct Face {
  std::string path;
  std::vector<unsigned char> data;
  stbtt_fontinfo info{};
};

bool rtl(char32_t cp) {
  return (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF);
}

bool keeps_order(char32_t cp) { return (cp >= U'0' && cp <= U'9') || (cp < 0x80 && std::isalpha(static_cast<int>(cp))); }

}  // namespace

struct LabelFont::Impl {
  std::vector<std::unique_ptr<Face>> faces;

  /// The face that has `cp` and its glyph index (the first face's missing glyph when none has it).
  std::pair<const Face*, int> glyph(char32_t cp) const {
    for (const auto& f : faces) {
      const int g = stbtt_FindGlyphIndex(&f->info, static_cast<int>(cp));
      if (g != 0) return {f.get(), g};
    }
    return {faces.front().get(), 0};
  }
  float scale(const Face& f, int px) const { return stbtt_ScaleForPixelHeight(&f.info, static_cast<float>(px)); }
  /// Ascent and descent (positive, pixels) of the first face, which sets the line.
  std::pair<int, int> line(int px) const {
    int ascent = 0, descent = 0, gap = 0;
    stbtt_GetFontVMetrics(&faces.front()->info, &ascent, &descent, &gap);
    const float s = scale(*faces.front(), px);
    return {static_cast<int>(std::ceil(static_cast<float>(ascent) * s)),
            static_cast<int>(std::ceil(static_cast<float>(-descent) * s))};
  }
};

std::vector<char32_t> visual_order(const std::vector<char32_t>& logical) {
  if (std::none_of(logical.begin(), logical.end(), rtl)) return logical;
  std::vector<char32_t> out(logical.rbegin(), logical.rend());
  for (size_t i = 0; i < out.size();) {  // runs of digits and Latin letters read left to right again
    size_t j = i;
    while (j < out.size() && keeps_order(out[j])) ++j;
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j));
    i = j == i ? i + 1 : j;
  }
  return out;
}

LabelFont::LabelFont() : impl_(std::make_unique<Impl>()) {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("ATTEND_FONTS")) {
    std::stringstream list(env);
    for (std::string p; std::getline(list, p, ':');) {
      if (!p.empty()) paths.push_back(p);
    }
  }
  paths.insert(paths.end(), std::begin(kDefaultFonts), std::end(kDefaultFonts));
  std::string tried;
  for (const std::string& path : paths) {
    tried += (tried.empty() ? "" : ", ") + path;
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    auto face = std::make_unique<Face>();
    face->path = path;
    face->data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    const int offset = stbtt_GetFontOffsetForIndex(face->data.data(), 0);
    if (offset < 0 || stbtt_InitFont(&face->info, face->data.data(), offset) == 0) continue;
    impl_->faces.push_back(std::move(face));
  }
  ATTEND_CHECK(!impl_->faces.empty(),
               "png_heatmap: no font for the token labels (looked for {}); install fonts-dejavu-core and "
               "fonts-wqy-microhei, or name font files in ATTEND_FONTS",
               tried);
}

LabelFont::~LabelFont() = default;

const LabelFont& LabelFont::get() {
  static const LabelFont font;
  return font;
}

std::vector<std::string> LabelFont::files() const {
  std::vector<std::string> out;
  for (const auto& f : impl_->faces) out.push_back(f->path);
  return out;
}

int LabelFont::measure(const std::string& text, int pixel_height) const {
  float x = 0;
  for (char32_t cp : decode_utf8(text)) {
    auto [face, g] = impl_->glyph(cp);
    int advance = 0, bearing = 0;
    stbtt_GetGlyphHMetrics(&face->info, g, &advance, &bearing);
    x += static_cast<float>(advance) * impl_->scale(*face, pixel_height);
  }
  return static_cast<int>(std::ceil(x));
}

GreyBitmap LabelFont::render(const std::string& text, int pixel_height) const {
  const std::vector<char32_t> points = visual_order(decode_utf8(text));
  const auto [ascent, descent] = impl_->line(pixel_height);
  GreyBitmap out;
  out.width = std::max(1, measure(text, pixel_height) + 2);
  out.height = ascent + descent;
  out.baseline = ascent;
  out.pixels.assign(static_cast<size_t>(out.width * out.height), 0);
  float x = 0;
  std::vector<unsigned char> glyph;
  for (char32_t cp : points) {
    auto [face, g] = impl_->glyph(cp);
    const float s = impl_->scale(*face, pixel_height);
    int advance = 0, bearing = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    stbtt_GetGlyphHMetrics(&face->info, g, &advance, &bearing);
    stbtt_GetGlyphBitmapBox(&face->info, g, s, s, &x0, &y0, &x1, &y1);
    const int gw = x1 - x0, gh = y1 - y0;
    if (gw > 0 && gh > 0) {
      glyph.assign(static_cast<size_t>(gw * gh), 0);
      stbtt_MakeGlyphBitmap(&face->info, glyph.data(), gw, gh, gw, s, s, g);
      const int ox = static_cast<int>(std::lround(x)) + x0, oy = ascent + y0;
      for (int r = 0; r < gh; ++r) {
        for (int c = 0; c < gw; ++c) {
          const int X = ox + c, Y = oy + r;
          if (X < 0 || Y < 0 || X >= out.width || Y >= out.height) continue;
          uint8_t& p = out.pixels[static_cast<size_t>(Y * out.width + X)];
          p = std::max(p, glyph[static_cast<size_t>(r * gw + c)]);
        }
      }
    }
    x += static_cast<float>(advance) * s;
  }
  return out;
}

}  // namespace attend::explain::detail
