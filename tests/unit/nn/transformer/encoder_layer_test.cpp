#include "attend/nn/transformer/encoder_layer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/normalization.hpp"
#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

// N(0, 0.25) everywhere, so that biases and norm affines are not their trivial initial values.
void randomize(Module& m, uint64_t seed) {
  Rng rng(seed);
  for (const auto& [name, p] : m.named_parameters()) p.value().copy_(Tensor::randn(p.shape(), rng, p.dtype(), 0, 0.5));
}

Var param(const Module& m, const std::string& key) { return Var(m.state_dict().at(key)); }

// torch's _ff_block with dropout 0.
Var feed_forward(const Module& m, const Var& x, TransformerActivation act) {
  const Var h = apply_transformer_activation(act, linear(x, param(m, "linear1.weight"), param(m, "linear1.bias")));
  return linear(h, param(m, "linear2.weight"), param(m, "linear2.bias"));
}

Var norm(const Module& m, const std::string& name, const Var& x, double eps) {
  return layer_norm(x, {x.size(-1)}, param(m, name + ".weight"), param(m, name + ".bias"), eps);
}

TEST(TransformerEncoderLayer, StateDictHasTorchNamesAndShapesInEveryConfig) {
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"self_attn.in_proj_weight", {24, 8}}, {"self_attn.in_proj_bias", {24}},
      {"self_attn.out_proj.weight", {8, 8}}, {"self_attn.out_proj.bias", {8}},
      {"linear1.weight", {16, 8}},           {"linear1.bias", {16}},
      {"linear2.weight", {8, 16}},           {"linear2.bias", {8}},
      {"norm1.weight", {8}},                 {"norm1.bias", {8}},
      {"norm2.weight", {8}},                 {"norm2.bias", {8}}};
  for (bool norm_first : {false, true}) {
    for (bool batch_first : {false, true}) {
      for (auto act : {TransformerActivation::relu, TransformerActivation::gelu}) {
        TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .activation = act,
                                       .batch_first = batch_first, .norm_first = norm_first});
        const auto named = layer.named_parameters();
        ASSERT_EQ(named.size(), expected.size());
        for (size_t i = 0; i < named.size(); ++i) {
          EXPECT_EQ(named[i].first, expected[i].first);
          EXPECT_EQ(named[i].second.shape(), expected[i].second) << expected[i].first;
        }
      }
    }
  }
}

TEST(TransformerEncoderLayer, PostNormEqualsHandComposition) {
  TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 12, .dropout = 0.0,
                                 .layer_norm_eps = 1e-4, .seed = 3});
  randomize(layer, 1);
  Rng rng(5);
  const Var x(Tensor::randn({2, 4, 8}, rng));
  const AttentionMask mask = AttentionMask::key_lengths(Tensor::from_vector<int64_t>({4, 2}, {2}));
  const Var sa = layer.self_attn().forward(x, x, x, mask).output;
  const Var h = norm(layer, "norm1", add(x, sa), 1e-4);
  const Var want = norm(layer, "norm2", add(h, feed_forward(layer, h, TransformerActivation::relu)), 1e-4);
  EXPECT_TRUE(all_close(layer.forward(x, mask).value(), want.value(), 1e-6));
}

TEST(TransformerEncoderLayer, PreNormEqualsHandCompositionAndDiffersFromPostNorm) {
  TransformerEncoderLayerOptions o{.d_model = 8, .nhead = 4, .dim_feedforward = 12, .dropout = 0.0,
                                   .activation = TransformerActivation::gelu, .norm_first = true};
  TransformerEncoderLayer pre(o);
  randomize(pre, 2);
  o.norm_first = false;
  TransformerEncoderLayer post(o);
  post.load_state_dict(pre.state_dict());
  Rng rng(6);
  const Var x(Tensor::randn({2, 3, 8}, rng));
  const AttentionMask mask = AttentionMask::causal();
  const Var n1 = norm(pre, "norm1", x, 1e-5);
  const Var x1 = add(x, pre.self_attn().forward(n1, n1, n1, mask).output);
  const Var want = add(x1, feed_forward(pre, norm(pre, "norm2", x1, 1e-5), TransformerActivation::gelu));
  const Tensor got = pre.forward(x, mask).value();
  EXPECT_TRUE(all_close(got, want.value(), 1e-6));
  EXPECT_FALSE(all_close(got, post.forward(x, mask).value(), 1e-2));
}

TEST(TransformerEncoderLayer, TimeFirstEqualsBatchFirstTransposed) {
  TransformerEncoderLayer bf({.d_model = 6, .nhead = 3, .dim_feedforward = 10, .dropout = 0.0});
  TransformerEncoderLayer tf({.d_model = 6, .nhead = 3, .dim_feedforward = 10, .dropout = 0.0, .batch_first = false});
  randomize(bf, 3);
  tf.load_state_dict(bf.state_dict());
  Rng rng(7);
  const Var x(Tensor::randn({2, 5, 6}, rng));
  const AttentionMask mask = AttentionMask::key_lengths(Tensor::from_vector<int64_t>({3, 5}, {2}));
  const Var want = transpose(bf.forward(x, mask), 0, 1);  // [T, B, C]
  EXPECT_TRUE(all_close(tf.forward(transpose(x, 0, 1), mask).value(), want.value(), 1e-6));
}

TEST(TransformerEncoderLayer, PaddedKeysDoNotReachRealPositions) {
  TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0});
  randomize(layer, 4);
  Rng rng(8);
  const Tensor a = Tensor::randn({1, 5, 8}, rng);
  Tensor b = a.clone();
  b.narrow(1, 3, 2).copy_(Tensor::randn({1, 2, 8}, rng));  // change only the padding
  const AttentionMask mask = AttentionMask::key_lengths(Tensor::from_vector<int64_t>({3}, {1}));
  const Tensor ya = layer.forward(Var(a), mask).value(), yb = layer.forward(Var(b), mask).value();
  EXPECT_TRUE(all_close(ya.narrow(1, 0, 3), yb.narrow(1, 0, 3), 1e-6));
  EXPECT_FALSE(all_close(ya.narrow(1, 3, 2), yb.narrow(1, 3, 2), 1e-3));
}

TEST(TransformerEncoderLayer, ReturnsSelfAttentionWeightsWhenAsked) {
  TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0});
  Rng rng(9);
  const Var x(Tensor::randn({2, 4, 8}, rng));
  EXPECT_FALSE(layer.forward(x, AttentionMask::causal(), {}).weights.defined());
  const auto avg = layer.forward(x, AttentionMask::causal(), {.need_weights = true});
  ASSERT_EQ(avg.weights.shape(), (Shape{2, 4, 4}));
  EXPECT_NEAR(avg.weights.value().at({1, 2, 0}) + avg.weights.value().at({1, 2, 1}) + avg.weights.value().at({1, 2, 2}),
              1.0, 1e-6);
  EXPECT_EQ(avg.weights.value().at({1, 2, 3}), 0.0);  // causal
  const auto heads = layer.forward(x, AttentionMask::causal(), {.need_weights = true, .average_weights = false});
  EXPECT_EQ(heads.weights.shape(), (Shape{2, 2, 4, 4}));
  EXPECT_TRUE(all_close(avg.output.value(), heads.output.value(), 0.0, 0.0));
}

TEST(TransformerEncoderLayer, DropoutActsOnlyInTraining) {
  TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.3, .seed = 1});
  TransformerEncoderLayer plain({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0});
  randomize(layer, 5);
  plain.load_state_dict(layer.state_dict());
  Rng rng(10);
  const Var x(Tensor::randn({2, 4, 8}, rng));
  const Tensor t1 = layer.forward(x).value(), t2 = layer.forward(x).value();
  EXPECT_FALSE(all_close(t1, t2, 1e-3));  // fresh masks each call
  EXPECT_FALSE(all_close(t1, plain.forward(x).value(), 1e-3));
  layer.eval();
  EXPECT_TRUE(all_close(layer.forward(x).value(), plain.forward(x).value(), 0.0, 0.0));
}

TEST(TransformerEncoderLayer, ErrorsNameArgumentAndShapes) {
  const std::string heads = error_of([] { TransformerEncoderLayer({.d_model = 10, .nhead = 3}); });
  EXPECT_THAT(heads, HasSubstr("d_model must be divisible by nhead (got d_model 10, nhead 3"));
  EXPECT_THAT(error_of([] { TransformerEncoderLayer({.d_model = 8, .nhead = 2, .dropout = 1.5}); }),
              HasSubstr("dropout must be in [0, 1), got 1.5"));
  TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16});
  const std::string width = error_of([&] { layer.forward(Var(Tensor::zeros({2, 3, 6}))); });
  EXPECT_THAT(width, HasSubstr("src.shape[-1] must equal d_model (expected 8, got 6)"));
  EXPECT_THAT(width, HasSubstr("src shape [2, 3, 6]"));
  EXPECT_THAT(error_of([&] { layer.forward(Var(Tensor::zeros({3, 8}))); }), HasSubstr("got shape [3, 8]"));
  const std::string lengths = error_of([&] {
    layer.forward(Var(Tensor::zeros({2, 3, 8})),
                  AttentionMask::key_lengths(Tensor::from_vector<int64_t>({1, 2, 3}, {3})));
  });
  EXPECT_THAT(lengths, HasSubstr("key_lengths"));
  EXPECT_THAT(lengths, HasSubstr("[2, 2, 3, 3]"));
  const std::string drop = error_of([&] {
    layer.forward(Var(Tensor::zeros({2, 3, 8})), AttentionMask::drop(Tensor::zeros({4, 4}, DType::u8)));
  });
  EXPECT_THAT(drop, HasSubstr("[4, 4]"));
  EXPECT_THAT(drop, HasSubstr("[2, 2, 3, 3]"));
  EXPECT_THAT(error_of([] { parse_transformer_activation("tanh"); }), HasSubstr("got \"tanh\""));
}

}  // namespace
}  // namespace attend::nn
