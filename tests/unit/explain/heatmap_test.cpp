// Heatmap checks, colour scale, labels, and the SVG and HTML writers (decoded and inspected, not byte-compared).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "attend/explain/heatmap.hpp"
#include "attend/explain/html_heatmap.hpp"
#include "attend/explain/svg_heatmap.hpp"
#include "test_util.hpp"

namespace attend::explain {
namespace {

using ::testing::HasSubstr;
using attend::testing::error_of;

Heatmap small_map() {
  return {.weights = Tensor::from_vector<float>({0.7f, 0.2f, 0.1f, 0.0f, 0.25f, 0.75f}, {2, 3}),
          .rows = {"2", "</s>"},
          .columns = {"a<b", "&", "\"q\""},
          .title = "layer 0 & <head 1>"};
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(Heatmap, ColourScaleRunsFromWhiteToDarkBlueAndClamps) {
  EXPECT_EQ(heatmap_color(0.0), (Rgb{255, 255, 255}));
  EXPECT_EQ(heatmap_color(1.0), (Rgb{8, 48, 107}));
  EXPECT_EQ(heatmap_color(0.5), (Rgb{132, 152, 181}));  // (255 + lo) / 2, rounded
  EXPECT_EQ(heatmap_color(-3.0), heatmap_color(0.0));
  EXPECT_EQ(heatmap_color(7.0), heatmap_color(1.0));
  EXPECT_EQ(hex_color({8, 48, 107}), "#08306b");
}

TEST(Heatmap, DisplayLabelMakesBlanksVisibleAndShortensLongLabels) {
  EXPECT_EQ(display_label(""), "∅");
  EXPECT_EQ(display_label(" "), "␣");
  EXPECT_EQ(display_label("a\tb\n"), "a⇥b·");
  EXPECT_EQ(display_label("日本語"), "日本語");
  EXPECT_EQ(display_label("abcdefgh", 4), "abc…");
  EXPECT_EQ(shorten_text("a b c d", 4), "a b…");
  EXPECT_EQ(shorten_text("a b", 4), "a b");
  EXPECT_EQ(decode_utf8("\xff").size(), 1u);
  EXPECT_EQ(decode_utf8("\xff")[0], U'\uFFFD');
  EXPECT_EQ(encode_utf8(decode_utf8("שלום, 日本")), "שלום, 日本");
}

TEST(Heatmap, EmptyWeightsAndMismatchedLabelsAreErrors) {
  Heatmap empty{.weights = Tensor::zeros({0, 3}), .rows = {}, .columns = {"a", "b", "c"}, .title = ""};
  EXPECT_THAT(error_of([&] { svg_heatmap(empty); }), HasSubstr("svg_heatmap: nothing to draw: weights of shape [0, 3]"));
  Heatmap rows = small_map();
  rows.rows.pop_back();
  EXPECT_THAT(error_of([&] { svg_heatmap(rows); }),
              HasSubstr("svg_heatmap: 1 row (target) labels for weights of shape [2, 3] (expected 2)"));
  Heatmap cols = small_map();
  cols.columns.push_back("x");
  EXPECT_THAT(error_of([&] { html_heatmap({cols}, "t"); }),
              HasSubstr("html_heatmap: 4 column (source) labels for weights of shape [2, 3] (expected 3)"));
  Heatmap flat{.weights = Tensor::zeros({6}), .rows = {}, .columns = {}, .title = ""};
  EXPECT_THAT(error_of([&] { svg_heatmap(flat); }), HasSubstr("weights must be 2-D [T, S], got shape [6]"));
  Heatmap nan = small_map();
  nan.weights = Tensor::from_vector<float>({0, 0, 0, 0, std::nanf(""), 0}, {2, 3});
  EXPECT_THAT(error_of([&] { svg_heatmap(nan); }), HasSubstr("weight [1, 1] is NaN"));
  EXPECT_THAT(error_of([] { html_heatmap({}, "t"); }), HasSubstr("html_heatmap: no panels"));
}

TEST(SvgHeatmap, OneRectPerCellColouredByWeightWithEscapedLabels) {
  const std::string svg = svg_heatmap(small_map());
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(count(svg, "<rect "), 6u);
  EXPECT_EQ(count(svg, "<rect class=\"cell\""), 6u);
  // Row-major order: the first cell is (0, 0) with 0.7, the last (1, 2) with 0.75.
  const std::regex fill("<rect class=\"cell\"[^>]*fill=\"(#[0-9a-f]{6})\"><title>([^<]*)</title>");
  std::vector<std::pair<std::string, std::string>> cells;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), fill); it != std::sregex_iterator(); ++it) {
    cells.emplace_back((*it)[1], (*it)[2]);
  }
  ASSERT_EQ(cells.size(), 6u);
  EXPECT_EQ(cells[0].first, hex_color(heatmap_color(0.7)));
  EXPECT_EQ(cells[3].first, hex_color(heatmap_color(0.0)));
  EXPECT_EQ(cells[5].first, hex_color(heatmap_color(0.75)));
  EXPECT_EQ(cells[0].second, "2 → a&lt;b: 0.700");
  EXPECT_EQ(cells[5].second, "&lt;/s&gt; → &quot;q&quot;: 0.750");
  EXPECT_EQ(count(svg, "<text class=\"col\""), 3u);
  EXPECT_EQ(count(svg, "<text class=\"row\""), 2u);
  EXPECT_THAT(svg, HasSubstr(">a&lt;b</text>"));
  EXPECT_THAT(svg, HasSubstr(">&amp;</text>"));
  EXPECT_THAT(svg, HasSubstr(">&quot;q&quot;</text>"));
  EXPECT_THAT(svg, HasSubstr(">layer 0 &amp; &lt;head 1&gt;</text>"));
  EXPECT_EQ(svg.find("a<b"), std::string::npos);  // nothing unescaped
  EXPECT_EQ(svg.find("<head"), std::string::npos);
}

TEST(SvgHeatmap, SizeGrowsWithTheSentence) {
  std::vector<std::string> cols;
  for (int i = 0; i < 40; ++i) cols.push_back(std::string(1, static_cast<char>('a' + i % 26)));
  Heatmap wide{.weights = Tensor::full({3, 40}, 0.025), .rows = {"x", "y", "z"}, .columns = cols, .title = ""};
  const std::string svg = svg_heatmap(wide);
  EXPECT_EQ(count(svg, "<rect class=\"cell\""), 120u);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("width=\"([0-9]+)\" height=\"([0-9]+)\"")));
  EXPECT_GE(std::stoi(m[1]), 40 * 24);
  EXPECT_LT(std::stoi(m[2]), 200);
}

TEST(HtmlHeatmap, EmbedsEveryPanelAsJsonThatCannotCloseTheScript) {
  Heatmap a = small_map();
  Heatmap b = small_map();
  b.title = "head 2";
  b.columns = {"</script><b>x</b>", "ש", "日"};
  const std::string html = html_heatmap({a, b}, "dates <1>");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html, HasSubstr("<title>dates &lt;1&gt;</title>"));
  EXPECT_EQ(count(html, "</script>"), 2u);          // the data block and the code, nothing from a label
  EXPECT_THAT(html, HasSubstr("\\u003c/script\\u003e\\u003cb\\u003ex"));
  EXPECT_THAT(html, HasSubstr("\"head 2\""));
  EXPECT_THAT(html, HasSubstr("\"layer 0 \\u0026 \\u003chead 1\\u003e\""));
  EXPECT_THAT(html, HasSubstr("[0.7,0.2,0.1]"));
  EXPECT_EQ(html.find("http://"), std::string::npos);  // self-contained: nothing to fetch
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
}

}  // namespace
}  // namespace attend::explain
