#include "attend/nn/transformer/decoder_layer.hpp"

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

void randomize(Module& m, uint64_t seed) {
  Rng rng(seed);
  for (const auto& [name, p] : m.named_parameters()) p.value().copy_(Tensor::randn(p.shape(), rng, p.dtype(), 0, 0.5));
}

Var param(const Module& m, const std::string& key) { return Var(m.state_dict().at(key)); }

Var feed_forward(const Module& m, const Var& x, TransformerActivation act) {
  const Var h = apply_transformer_activation(act, linear(x, param(m, "linear1.weight"), param(m, "linear1.bias")));
  return linear(h, param(m, "linear2.weight"), param(m, "linear2.bias"));
}

Var norm(const Module& m, const std::string& name, const Var& x) {
  return layer_norm(x, {x.size(-1)}, param(m, name + ".weight"), param(m, name + ".bias"), 1e-5);
}

Tensor lengths(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<int64_t>(v, {n});
}

TEST(TransformerDecoderLayer, StateDictHasTorchNamesAndShapesInEveryConfig) {
  std::vector<std::pair<std::string, Shape>> expected;
  for (const char* attn : {"self_attn", "multihead_attn"}) {
    const std::string a = attn;
    expected.insert(expected.end(), {{a + ".in_proj_weight", {18, 6}}, {a + ".in_proj_bias", {18}},
                                     {a + ".out_proj.weight", {6, 6}}, {a + ".out_proj.bias", {6}}});
  }
  expected.insert(expected.end(), {{"linear1.weight", {10, 6}}, {"linear1.bias", {10}}, {"linear2.weight", {6, 10}},
                                   {"linear2.bias", {6}}, {"norm1.weight", {6}}, {"norm1.bias", {6}},
                                   {"norm2.weight", {6}}, {"norm2.bias", {6}}, {"norm3.weight", {6}},
                                   {"norm3.bias", {6}}});
  for (bool norm_first : {false, true}) {
    for (bool batch_first : {false, true}) {
      for (auto act : {TransformerActivation::relu, TransformerActivation::gelu}) {
        TransformerDecoderLayer layer({.d_model = 6, .nhead = 3, .dim_feedforward = 10, .activation = act,
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

TEST(TransformerDecoderLayer, PostNormEqualsHandComposition) {
  TransformerDecoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 12, .dropout = 0.0, .seed = 4});
  randomize(layer, 1);
  Rng rng(2);
  const Var tgt(Tensor::randn({2, 3, 8}, rng)), memory(Tensor::randn({2, 5, 8}, rng));
  const AttentionMask self_mask = AttentionMask::causal(), memory_mask = AttentionMask::key_lengths(lengths({5, 2}));
  const Var x1 = norm(layer, "norm1", add(tgt, layer.self_attn().forward(tgt, tgt, tgt, self_mask).output));
  const Var x2 =
      norm(layer, "norm2", add(x1, layer.multihead_attn().forward(x1, memory, memory, memory_mask).output));
  const Var want = norm(layer, "norm3", add(x2, feed_forward(layer, x2, TransformerActivation::relu)));
  EXPECT_TRUE(all_close(layer.forward(tgt, memory, self_mask, memory_mask).output.value(), want.value(), 1e-6));
}

TEST(TransformerDecoderLayer, PreNormEqualsHandCompositionAndDiffersFromPostNorm) {
  TransformerDecoderLayerOptions o{.d_model = 8, .nhead = 4, .dim_feedforward = 12, .dropout = 0.0,
                                   .activation = TransformerActivation::gelu, .norm_first = true};
  TransformerDecoderLayer pre(o);
  randomize(pre, 3);
  o.norm_first = false;
  TransformerDecoderLayer post(o);
  post.load_state_dict(pre.state_dict());
  Rng rng(4);
  const Var tgt(Tensor::randn({2, 4, 8}, rng)), memory(Tensor::randn({2, 3, 8}, rng));
  const AttentionMask self_mask = AttentionMask::causal(), memory_mask = AttentionMask::key_lengths(lengths({1, 3}));
  const Var n1 = norm(pre, "norm1", tgt);
  const Var x1 = add(tgt, pre.self_attn().forward(n1, n1, n1, self_mask).output);
  const Var x2 = add(x1, pre.multihead_attn().forward(norm(pre, "norm2", x1), memory, memory, memory_mask).output);
  const Var want = add(x2, feed_forward(pre, norm(pre, "norm3", x2), TransformerActivation::gelu));
  const Tensor got = pre.forward(tgt, memory, self_mask, memory_mask).output.value();
  EXPECT_TRUE(all_close(got, want.value(), 1e-6));
  EXPECT_FALSE(all_close(got, post.forward(tgt, memory, self_mask, memory_mask).output.value(), 1e-2));
}

// Feeding the target one step (or two) at a time through the cache equals the teacher-forced causal computation.
void expect_incremental_equals_full(bool norm_first, bool batch_first) {
  TransformerDecoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0,
                                 .batch_first = batch_first, .norm_first = norm_first});
  randomize(layer, 5);
  Rng rng(6);
  const int64_t T = 5, tdim = batch_first ? 1 : 0;
  const Var tgt(Tensor::randn(batch_first ? Shape{2, T, 8} : Shape{T, 2, 8}, rng));
  const Var memory(Tensor::randn(batch_first ? Shape{2, 4, 8} : Shape{4, 2, 8}, rng));
  const AttentionMask memory_mask = AttentionMask::key_lengths(lengths({4, 3}));
  const auto full = layer.forward(tgt, memory, AttentionMask::causal(), memory_mask, {.need_weights = true});
  TransformerDecoderLayerCache cache;
  const std::vector<std::pair<int64_t, int64_t>> chunks = {{0, 1}, {1, 2}, {3, 1}, {4, 1}};  // (start, length)
  for (const auto& [start, n] : chunks) {
    ASSERT_EQ(cache.length(), start);
    const auto step = layer.forward(narrow(tgt, tdim, start, n), memory, AttentionMask::causal(cache.length()),
                                    memory_mask, {.need_weights = true, .cache = &cache});
    EXPECT_TRUE(all_close(step.output.value(), full.output.value().narrow(tdim, start, n), 1e-6, 0.0))
        << "steps " << start << ".." << start + n - 1;
    EXPECT_TRUE(all_close(step.cross_weights.value(), full.cross_weights.value().narrow(1, start, n), 1e-6, 0.0));
  }
  EXPECT_EQ(cache.length(), T);
  EXPECT_EQ(cache.cross_attn.length(), 4);
}

TEST(TransformerDecoderLayer, IncrementalDecodingEqualsFullCausalPostNorm) {
  expect_incremental_equals_full(false, true);
}
TEST(TransformerDecoderLayer, IncrementalDecodingEqualsFullCausalPreNorm) {
  expect_incremental_equals_full(true, true);
}
TEST(TransformerDecoderLayer, IncrementalDecodingEqualsFullCausalTimeFirst) {
  expect_incremental_equals_full(false, false);
}

TEST(TransformerDecoderLayer, CrossAttentionWeightsAveragedOrPerHead) {
  TransformerDecoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0});
  Rng rng(7);
  const Var tgt(Tensor::randn({2, 3, 8}, rng)), memory(Tensor::randn({2, 6, 8}, rng));
  const AttentionMask memory_mask = AttentionMask::key_lengths(lengths({6, 2}));
  EXPECT_FALSE(layer.forward(tgt, memory, {}, memory_mask).cross_weights.defined());
  const Var avg = layer.forward(tgt, memory, {}, memory_mask, {.need_weights = true}).cross_weights;
  ASSERT_EQ(avg.shape(), (Shape{2, 3, 6}));
  for (int64_t i = 0; i < 3; ++i) {
    double row = 0.0;
    for (int64_t j = 0; j < 6; ++j) row += avg.value().at({1, i, j});
    EXPECT_NEAR(row, 1.0, 1e-6);
    for (int64_t j = 2; j < 6; ++j) EXPECT_EQ(avg.value().at({1, i, j}), 0.0);  // beyond item 1's memory length
  }
  const Var heads =
      layer.forward(tgt, memory, {}, memory_mask, {.need_weights = true, .average_weights = false}).cross_weights;
  EXPECT_EQ(heads.shape(), (Shape{2, 2, 3, 6}));
}

TEST(TransformerDecoderLayer, ErrorsNameArgumentAndShapes) {
  EXPECT_THAT(error_of([] { TransformerDecoderLayer({.d_model = 9, .nhead = 2}); }),
              HasSubstr("TransformerDecoderLayer: d_model must be divisible by nhead (got d_model 9, nhead 2"));
  TransformerDecoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16});
  const Var tgt(Tensor::zeros({2, 3, 8}));
  const std::string memory = error_of([&] { layer.forward(tgt, Var(Tensor::zeros({2, 5, 6}))); });
  EXPECT_THAT(memory, HasSubstr("memory.shape[-1] must equal d_model (expected 8, got 6)"));
  EXPECT_THAT(memory, HasSubstr("memory shape [2, 5, 6]"));
  const std::string batch = error_of([&] { layer.forward(tgt, Var(Tensor::zeros({3, 5, 8}))); });
  EXPECT_THAT(batch, HasSubstr("same batch size (got 2 and 3)"));
  EXPECT_THAT(batch, HasSubstr("tgt shape [2, 3, 8], memory shape [3, 5, 8]"));
  EXPECT_THAT(error_of([&] { layer.forward(Var(Tensor::zeros({3, 8})), Var(Tensor::zeros({2, 5, 8}))); }),
              HasSubstr("tgt must be [B, T, C], got shape [3, 8]"));
  const std::string mask = error_of([&] {
    layer.forward(tgt, Var(Tensor::zeros({2, 5, 8})), {}, AttentionMask::drop(Tensor::zeros({3, 4}, DType::u8)));
  });
  EXPECT_THAT(mask, HasSubstr("[3, 4]"));
  EXPECT_THAT(mask, HasSubstr("[2, 2, 3, 5]"));
}

}  // namespace
}  // namespace attend::nn
