#include "attend/nn/transformer/decoder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

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

TransformerDecoderOptions options(bool norm_first) {
  return {.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0, .norm_first = norm_first},
          .num_layers = 2,
          .norm = true};
}

TEST(TransformerDecoder, StateDictHasTorchNames) {
  TransformerDecoder dec(options(false));
  const auto sd = dec.state_dict();
  EXPECT_EQ(sd.size(), 2u * 18u + 2u);
  for (const char* key : {"layers.0.self_attn.in_proj_weight", "layers.1.multihead_attn.out_proj.bias",
                          "layers.1.norm3.weight", "norm.weight", "norm.bias"}) {
    EXPECT_TRUE(sd.contains(key)) << key;
  }
}

TEST(TransformerDecoder, LayersInTurnThenNormWithOneCrossWeightPerLayer) {
  TransformerDecoder dec(options(false));
  randomize(dec, 1);
  Rng rng(2);
  const Var tgt(Tensor::randn({2, 3, 8}, rng)), memory(Tensor::randn({2, 4, 8}, rng));
  const AttentionMask memory_mask = AttentionMask::key_lengths(Tensor::from_vector<int64_t>({4, 1}, {2}));
  Var h = tgt;
  for (int64_t l = 0; l < 2; ++l) h = dec.layer(l).forward(h, memory, AttentionMask::causal(), memory_mask).output;
  const auto out = dec.forward(tgt, memory, AttentionMask::causal(), memory_mask, {.need_weights = true});
  EXPECT_TRUE(all_close(out.output.value(), dec.norm()->forward(h).value(), 0.0, 0.0));
  ASSERT_EQ(out.cross_weights.size(), 2u);
  EXPECT_EQ(out.cross_weights[1].shape(), (Shape{2, 3, 4}));
  EXPECT_TRUE(dec.forward(tgt, memory).cross_weights.empty());
}

void expect_steps_equal_forward(bool norm_first) {
  TransformerDecoder dec(options(norm_first));
  randomize(dec, 3);
  Rng rng(4);
  const Var tgt(Tensor::randn({3, 5, 8}, rng)), memory(Tensor::randn({3, 4, 8}, rng));
  const AttentionMask memory_mask = AttentionMask::key_lengths(Tensor::from_vector<int64_t>({4, 2, 3}, {3}));
  const auto full = dec.forward(tgt, memory, AttentionMask::causal(), memory_mask, {.need_weights = true});
  TransformerDecoderCache cache;
  for (int64_t t = 0; t < 5; ++t) {
    const auto step = dec.step(narrow(tgt, 1, t, 1), memory, memory_mask, cache, {.need_weights = true});
    EXPECT_TRUE(all_close(step.output.value(), full.output.value().narrow(1, t, 1), 1e-6, 0.0)) << "step " << t;
    for (size_t l = 0; l < 2; ++l) {
      EXPECT_TRUE(all_close(step.cross_weights[l].value(), full.cross_weights[l].value().narrow(1, t, 1), 1e-6, 0.0));
    }
  }
  EXPECT_EQ(cache.length(), 5);
}

TEST(TransformerDecoder, StepsEqualTeacherForcedForwardPostNorm) { expect_steps_equal_forward(false); }
TEST(TransformerDecoder, StepsEqualTeacherForcedForwardPreNorm) { expect_steps_equal_forward(true); }

TEST(TransformerDecoder, ReorderedCacheContinuesTheChosenItems) {
  TransformerDecoder dec(options(false));
  randomize(dec, 5);
  Rng rng(6);
  const Var tgt(Tensor::randn({3, 3, 8}, rng)), memory(Tensor::randn({3, 4, 8}, rng));
  const Tensor index = Tensor::from_vector<int64_t>({2, 0, 0}, {3});
  TransformerDecoderCache cache;
  for (int64_t t = 0; t < 2; ++t) dec.step(narrow(tgt, 1, t, 1), memory, {}, cache);
  cache.reorder(index);
  const Var picked_tgt = index_select(tgt, 0, index), picked_memory = index_select(memory, 0, index);
  const Var last = dec.step(narrow(picked_tgt, 1, 2, 1), picked_memory, {}, cache).output;
  const Var want = dec.forward(picked_tgt, picked_memory, AttentionMask::causal()).output;
  EXPECT_TRUE(all_close(last.value(), want.value().narrow(1, 2, 1), 1e-6, 0.0));
}

TEST(TransformerDecoder, StepErrorsNameBothBatchSizes) {
  TransformerDecoder dec(options(false));
  TransformerDecoderCache cache;
  dec.step(Var(Tensor::zeros({2, 1, 8})), Var(Tensor::zeros({2, 3, 8})), {}, cache);
  const std::string e =
      error_of([&] { dec.step(Var(Tensor::zeros({3, 1, 8})), Var(Tensor::zeros({3, 3, 8})), {}, cache); });
  EXPECT_THAT(e, HasSubstr("batch size must equal the cache's (expected 2, got 3)"));
  EXPECT_THAT(e, HasSubstr("[3, 1, 8]"));
  EXPECT_THAT(error_of([&] { cache.reorder(Tensor::zeros({2})); }), HasSubstr("index must be i64 [B'], got f32"));
}

}  // namespace
}  // namespace attend::nn
