// The attention selector: parsing, limits named in errors, shapes, titles and head reductions; capture requests.
#include "attend/explain/selector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

#include "test_util.hpp"

namespace attend::explain {
namespace {

using ::testing::HasSubstr;
using attend::testing::error_of;

// [L=2, H=3, T=2, S=2]: value = 1000 l + 100 h + 10 t + s, scaled to stay small.
Tensor captured() {
  std::vector<float> v;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 3; ++h)
      for (int t = 0; t < 2; ++t)
        for (int s = 0; s < 2; ++s) v.push_back(static_cast<float>(1000 * l + 100 * h + 10 * t + s) / 10000.0f);
  return Tensor::from_vector(v, {2, 3, 2, 2});
}

const std::vector<std::string> kRows = {"x", "</s>"}, kCols = {"a", "b"};

TEST(Selector, ParsesEveryForm) {
  AttentionSelector s = parse_selector("decoder_self", "3", "1..2", "max");
  EXPECT_EQ(s.kind, AttentionKind::decoder_self);
  EXPECT_EQ(s.layer.which, LayerChoice::Which::one);
  EXPECT_EQ(s.layer.index, 3);
  EXPECT_FALSE(s.head.all);
  EXPECT_EQ(s.head.first, 1);
  EXPECT_EQ(s.head.last, 2);
  EXPECT_EQ(s.reduce, HeadReduction::max);
  s = parse_selector("rnn", "all", "2", "none");
  EXPECT_EQ(s.layer.which, LayerChoice::Which::all);
  EXPECT_EQ(s.head.first, 2);
  EXPECT_EQ(s.head.last, 2);
  EXPECT_EQ(parse_selector("encoder-self", "last", "all", "mean").layer.which, LayerChoice::Which::last);
}

TEST(Selector, BadValuesNameTheOption) {
  EXPECT_THAT(error_of([] { parse_selector("crosss", "last", "all", "mean"); }),
              HasSubstr("--kind: unknown attention kind 'crosss' (expected encoder-self, decoder-self, cross or rnn)"));
  EXPECT_THAT(error_of([] { parse_selector("cross", "-1", "all", "mean"); }),
              HasSubstr("--layer: expected all, last or a layer number (0, 1, ...), got '-1'"));
  EXPECT_THAT(error_of([] { parse_selector("cross", "last", "2..x", "mean"); }), HasSubstr("--head: expected"));
  EXPECT_THAT(error_of([] { parse_selector("cross", "last", "3..1", "mean"); }),
              HasSubstr("--head: the range '3..1' is empty"));
  EXPECT_THAT(error_of([] { parse_selector("cross", "last", "all", "median"); }),
              HasSubstr("--reduce: expected none, mean or max, got 'median'"));
}

TEST(Selector, OutOfRangeLayersAndHeadsNameTheLimits) {
  EXPECT_THAT(error_of([] { selected_layers(parse_selector("cross", "7", "all", "mean"), 6); }),
              HasSubstr("layer 7 out of range: the model has 6 layers (0..5, or last)"));
  EXPECT_THAT(error_of([] { selected_layers(parse_selector("rnn", "1", "all", "mean"), 1); }),
              HasSubstr("layer 1 out of range: the model has 1 layer (0..0, or last)"));
  EXPECT_THAT(error_of([] { selected_heads(parse_selector("cross", "last", "2..8", "mean"), 4); }),
              HasSubstr("head 8 out of range: the attention has 4 heads (0..3, or all)"));
  EXPECT_THAT(error_of([] { selected_heads(parse_selector("rnn", "last", "1", "mean"), 1); }),
              HasSubstr("head 1 out of range: the attention has 1 head (0, or all)"));
  EXPECT_THAT(error_of([] { check_kind(AttentionKind::cross, {AttentionKind::rnn}, "rnn-attention"); }),
              HasSubstr("--kind cross not available: this rnn-attention model has rnn"));
  EXPECT_NO_THROW(check_kind(AttentionKind::rnn, {AttentionKind::rnn}, "rnn-attention"));
}

TEST(Selector, NoneGivesOnePanelPerLayerAndHead) {
  const auto panels = select_heatmaps(captured(), parse_selector("cross", "all", "1..2", "none"), kRows, kCols);
  ASSERT_EQ(panels.size(), 4u);
  EXPECT_EQ(panels[0].title, "cross, layer 0, head 1");
  EXPECT_EQ(panels[3].title, "cross, layer 1, head 2");
  EXPECT_EQ(panels[3].weights.shape(), (Shape{2, 2}));
  EXPECT_FLOAT_EQ(static_cast<float>(panels[3].weights.at({1, 0})), 0.1210f);  // l1 h2 t1 s0
  EXPECT_EQ(panels[0].rows, kRows);
  EXPECT_EQ(panels[0].columns, kCols);
}

TEST(Selector, MeanAndMaxReduceOverTheSelectedHeadsOnly) {
  const auto mean = select_heatmaps(captured(), parse_selector("cross", "last", "0..1", "mean"), kRows, kCols);
  ASSERT_EQ(mean.size(), 1u);
  EXPECT_EQ(mean[0].title, "cross, layer 1, mean of heads 0..1");
  EXPECT_FLOAT_EQ(static_cast<float>(mean[0].weights.at({0, 1})), (0.1001f + 0.1101f) / 2);
  const auto max = select_heatmaps(captured(), parse_selector("cross", "0", "all", "max"), kRows, kCols);
  ASSERT_EQ(max.size(), 1u);
  EXPECT_EQ(max[0].title, "cross, layer 0, max of heads 0..2");
  EXPECT_FLOAT_EQ(static_cast<float>(max[0].weights.at({1, 1})), 0.0211f);
  const auto one = select_heatmaps(captured(), parse_selector("cross", "0", "1", "mean"), kRows, kCols);
  EXPECT_EQ(one[0].title, "cross, layer 0, head 1");
}

TEST(Selector, WrongShapesAndLabelsAreErrors) {
  const AttentionSelector s = parse_selector("rnn", "last", "all", "mean");
  EXPECT_THAT(error_of([&] { select_heatmaps(Tensor::zeros({2, 2}), s, kRows, kCols); }),
              HasSubstr("weights must be [L, H, T, S], got shape [2, 2]"));
  EXPECT_THAT(error_of([&] { select_heatmaps(captured(), s, {"x"}, kCols); }),
              HasSubstr("1 row and 2 column labels for weights of shape [2, 3, 2, 2]"));
}

TEST(Selector, CaptureRequestKeepsOnlyTheSelectionAndDrawsTheSamePanels) {
  const Tensor full = captured();  // [L=2, H=3, T=2, S=2]
  for (const auto& [layer, head, reduce] : std::vector<std::array<std::string, 3>>{
           {"all", "all", "none"}, {"last", "1..2", "mean"}, {"0", "2", "max"}, {"1", "0..1", "none"}}) {
    const AttentionSelector s = parse_selector("decoder-self", layer, head, reduce);
    const nn::AttentionCapture c = capture_request(s, 2, 3);
    EXPECT_TRUE(c.cross.empty() && c.encoder_self.empty() && c.rnn.empty());
    const std::vector<int64_t> layers = c.decoder_self.layers;
    // What a model would keep: the selected layers, heads [begin, end).
    std::vector<float> kept;
    for (int64_t l : layers) {
      const Tensor w = full.select(0, l).narrow(0, c.decoder_self.heads.begin, c.decoder_self.heads.size());
      const auto v = w.contiguous().to_vector<float>();
      kept.insert(kept.end(), v.begin(), v.end());
    }
    const int64_t L = static_cast<int64_t>(layers.size());
    const Tensor k = Tensor::from_vector(kept, {L, c.decoder_self.heads.size(), 2, 2});
    const auto want = select_heatmaps(full, s, kRows, kCols);
    const auto got = captured_heatmaps(k, s, 2, 3, kRows, kCols);
    ASSERT_EQ(got.size(), want.size()) << layer << " " << head << " " << reduce;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].title, want[i].title);
      EXPECT_TRUE(attend::testing::all_close(got[i].weights, want[i].weights, 0, 0)) << got[i].title;
    }
  }
  EXPECT_EQ(capture_request(parse_selector("cross", "last", "1..2", "mean"), 6, 4).cross.layers,
            std::vector<int64_t>({5}));
  EXPECT_THAT(error_of([] { capture_request(parse_selector("cross", "7", "all", "mean"), 6, 4); }),
              HasSubstr("layer 7 out of range: the model has 6 layers (0..5, or last)"));
  EXPECT_THAT(error_of([] { capture_request(parse_selector("cross", "last", "4", "mean"), 6, 4); }),
              HasSubstr("head 4 out of range: the attention has 4 heads (0..3, or all)"));
  EXPECT_THAT(error_of([] {
                captured_heatmaps(Tensor::zeros({1, 3, 2, 2}), parse_selector("cross", "all", "all", "none"), 2, 3,
                                  kRows, kCols);
              }),
              HasSubstr("captured_heatmaps: weights of shape [1, 3, 2, 2] for 2 selected layers of 3 heads"));
}

}  // namespace
}  // namespace attend::explain
