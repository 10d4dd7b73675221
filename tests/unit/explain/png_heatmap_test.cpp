// PNG heatmap golden checks: the image is decoded with stb_image and inspected (size, cell colours, label ink),
// never byte-compared.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stb_image.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

#include "attend/explain/png_heatmap.hpp"
#include "test_util.hpp"

namespace attend::explain {
namespace {

using ::testing::HasSubstr;
using attend::testing::error_of;

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Rgb at(int x, int y) const {
    const uint8_t* p = &rgb[static_cast<size_t>((y * width + x) * 3)];
    return {p[0], p[1], p[2]};
  }
  /// Pixels in [x0, x1) x [y0, y1) darker than mid grey (label ink).
  int dark(int x0, int y0, int x1, int y1) const {
    int n = 0;
    for (int y = std::max(0, y0); y < std::min(height, y1); ++y)
      for (int x = std::max(0, x0); x < std::min(width, x1); ++x) n += at(x, y).r < 128 ? 1 : 0;
    return n;
  }
};

Image decode(const std::string& png) {
  Image img;
  int channels = 0;
  unsigned char* p = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()),
                                           static_cast<int>(png.size()), &img.width, &img.height, &channels, 3);
  EXPECT_NE(p, nullptr) << "stb_image could not decode the PNG";
  if (p == nullptr) return img;
  img.rgb.assign(p, p + img.width * img.height * 3);
  stbi_image_free(p);
  return img;
}

Heatmap map_of(std::vector<std::string> rows, std::vector<std::string> cols, std::string title = "") {
  const auto T = static_cast<int64_t>(rows.size()), S = static_cast<int64_t>(cols.size());
  std::vector<float> w(static_cast<size_t>(T * S));
  for (int64_t i = 0; i < T * S; ++i) w[static_cast<size_t>(i)] = static_cast<float>(i % 5) / 4.0f;
  return {.weights = Tensor::from_vector(w, {T, S}), .rows = std::move(rows), .columns = std::move(cols),
          .title = std::move(title)};
}

TEST(PngHeatmap, DecodesWithEveryCellInItsColourAndLabelInk) {
  const Heatmap map = map_of({"2", "0", "</s>"}, {"N", "o", "v", " "}, "rnn attention");
  const Image img = decode(png_heatmap(map));
  ASSERT_GT(img.width, 4 * 22);
  ASSERT_GT(img.height, 3 * 22);
  const auto w = map.weights.to_vector<float>();
  for (int64_t t = 0; t < 3; ++t) {
    for (int64_t s = 0; s < 4; ++s) {
      const PngCellRect r = png_cell_rect(map, t, s);
      const Rgb want = heatmap_color(w[static_cast<size_t>(t * 4 + s)]);
      EXPECT_EQ(img.at(r.x + r.size / 2, r.y + r.size / 2), want) << "cell " << t << ", " << s;
      EXPECT_EQ(img.at(r.x, r.y), want);
      EXPECT_EQ(img.at(r.x + r.size - 1, r.y + r.size - 1), want);
    }
  }
  const PngCellRect first = png_cell_rect(map, 0, 0), last = png_cell_rect(map, 2, 3);
  EXPECT_LE(last.x + last.size, img.width);
  EXPECT_LE(last.y + last.size, img.height);
  for (int t = 0; t < 3; ++t) {  // each target label inks the band left of its row
    const PngCellRect r = png_cell_rect(map, t, 0);
    EXPECT_GT(img.dark(0, r.y, first.x - 1, r.y + r.size), 5) << "row label " << t;
  }
  for (int s = 0; s < 4; ++s) {  // each source label inks the band above its column ("␣" for the space)
    const PngCellRect r = png_cell_rect(map, 0, s);
    EXPECT_GT(img.dark(r.x, 26, r.x + r.size, first.y - 1), 5) << "column label " << s;
  }
  EXPECT_GT(img.dark(0, 0, img.width, 24), 20);  // the title
  EXPECT_EQ(img.dark(last.x + last.size + 2, 0, img.width, img.height), 0);  // nothing right of the grid
}

TEST(PngHeatmap, ChineseLabelsUseTheCjkFallbackFontNotTheMissingGlyphBox) {
  // DejaVu Sans has no 日; without the fallback it would draw the same box as a code point no font has.
  const Heatmap cjk = map_of({"a"}, {"日"}), none = map_of({"a"}, {"\U0010FFFD"});
  const Image a = decode(png_heatmap(cjk)), b = decode(png_heatmap(none));
  const PngCellRect ra = png_cell_rect(cjk, 0, 0);
  EXPECT_GT(a.dark(ra.x, 0, ra.x + ra.size, ra.y - 1), 10);
  bool differ = a.width != b.width || a.height != b.height || a.rgb != b.rgb;
  EXPECT_TRUE(differ);
}

TEST(PngHeatmap, RightToLeftAndLongSentencesDraw) {
  std::vector<std::string> cols;
  for (const char* w : {"ש", "ל", "ו", "ם", " ", "م", "ر", "ح", "ب", "ا"}) cols.push_back(w);
  for (int i = 0; i < 50; ++i) cols.push_back(std::string(1, static_cast<char>('a' + i % 26)));
  const Heatmap map = map_of({"שלום", "مرحبا 12", "x"}, cols);
  const Image img = decode(png_heatmap(map));
  const PngCellRect last = png_cell_rect(map, 2, 59);
  EXPECT_LE(last.x + last.size, img.width);
  const PngCellRect r0 = png_cell_rect(map, 0, 0);
  EXPECT_GT(img.dark(0, r0.y, r0.x - 1, r0.y + r0.size), 10);
}

TEST(PngHeatmap, EmptyAndMismatchedInputsAreErrorsAndWritesAreAtomic) {
  const Heatmap empty{.weights = Tensor::zeros({2, 0}), .rows = {"a", "b"}, .columns = {}, .title = ""};
  EXPECT_THAT(error_of([&] { png_heatmap(empty); }), HasSubstr("png_heatmap: nothing to draw"));
  Heatmap bad = map_of({"a"}, {"b", "c"});
  bad.rows.push_back("extra");
  EXPECT_THAT(error_of([&] { png_heatmap(bad); }), HasSubstr("2 row (target) labels for weights of shape [1, 2]"));
  const auto dir = std::filesystem::temp_directory_path() / ("attend_png_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "a.png").string();
  write_png_heatmap(path, map_of({"a"}, {"b"}));
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  EXPECT_THAT(error_of([&] { write_png_heatmap((dir / "missing" / "a.png").string(), map_of({"a"}, {"b"})); }),
              HasSubstr("missing"));
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1u);  // no temporary file left behind
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace attend::explain
