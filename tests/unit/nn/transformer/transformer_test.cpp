#include "attend/nn/transformer/transformer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

TransformerOptions tiny(PositionalEncodingKind positional = PositionalEncodingKind::sinusoidal,
                        bool norm_first = false, bool tie = false) {
  return {.src_vocab = 7, .tgt_vocab = 9, .d_model = 8, .nhead = 2, .num_encoder_layers = 1,
          .num_decoder_layers = 1, .dim_feedforward = 16, .dropout = 0.1, .norm_first = norm_first,
          .positional = positional, .max_len = 12, .tie_embeddings = tie, .pad_id = 0, .seed = 3};
}

Tensor ids(std::vector<int64_t> v, Shape shape) { return Tensor::from_vector<int64_t>(v, shape); }

// torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
// .state_dict() keys, as printed by PyTorch 1.13.
const std::vector<std::string> kTorchTransformerKeys = {
    "encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.0.self_attn.in_proj_bias",
    "encoder.layers.0.self_attn.out_proj.weight", "encoder.layers.0.self_attn.out_proj.bias",
    "encoder.layers.0.linear1.weight", "encoder.layers.0.linear1.bias", "encoder.layers.0.linear2.weight",
    "encoder.layers.0.linear2.bias", "encoder.layers.0.norm1.weight", "encoder.layers.0.norm1.bias",
    "encoder.layers.0.norm2.weight", "encoder.layers.0.norm2.bias", "encoder.norm.weight", "encoder.norm.bias",
    "decoder.layers.0.self_attn.in_proj_weight", "decoder.layers.0.self_attn.in_proj_bias",
    "decoder.layers.0.self_attn.out_proj.weight", "decoder.layers.0.self_attn.out_proj.bias",
    "decoder.layers.0.multihead_attn.in_proj_weight", "decoder.layers.0.multihead_attn.in_proj_bias",
    "decoder.layers.0.multihead_attn.out_proj.weight", "decoder.layers.0.multihead_attn.out_proj.bias",
    "decoder.layers.0.linear1.weight", "decoder.layers.0.linear1.bias", "decoder.layers.0.linear2.weight",
    "decoder.layers.0.linear2.bias", "decoder.layers.0.norm1.weight", "decoder.layers.0.norm1.bias",
    "decoder.layers.0.norm2.weight", "decoder.layers.0.norm2.bias", "decoder.layers.0.norm3.weight",
    "decoder.layers.0.norm3.bias", "decoder.norm.weight", "decoder.norm.bias"};

std::set<std::string> keys_of(const Module& m) {
  std::set<std::string> out;
  for (const auto& [k, v] : m.state_dict()) out.insert(k);
  return out;
}

TEST(Transformer, StateDictIsTorchTransformerPlusEmbeddingsAndGenerator) {
  std::set<std::string> want(kTorchTransformerKeys.begin(), kTorchTransformerKeys.end());
  want.insert({"src_embed.weight", "tgt_embed.weight"});
  Transformer tied(tiny(PositionalEncodingKind::sinusoidal, false, true));
  EXPECT_EQ(keys_of(tied), want);
  want.insert({"generator.weight", "generator.bias"});
  Transformer model(tiny());
  EXPECT_EQ(keys_of(model), want);
  const auto sd = model.state_dict();
  EXPECT_EQ(sd.at("src_embed.weight").shape(), (Shape{7, 8}));
  EXPECT_EQ(sd.at("generator.weight").shape(), (Shape{9, 8}));
  EXPECT_EQ(sd.at("decoder.layers.0.multihead_attn.in_proj_weight").shape(), (Shape{24, 8}));
  want.insert({"src_pos.weight", "tgt_pos.weight"});
  Transformer learned(tiny(PositionalEncodingKind::learned));
  EXPECT_EQ(keys_of(learned), want);
  EXPECT_EQ(learned.state_dict().at("tgt_pos.weight").shape(), (Shape{12, 8}));
}

TEST(Transformer, InitialisationIsXavierForMatricesAndZeroPadRows) {
  Transformer model(tiny());
  const auto sd = model.state_dict();
  const double bound = std::sqrt(6.0 / (16 + 8));
  const auto w = sd.at("encoder.layers.0.linear1.weight").to_vector<double>();
  const auto [lo, hi] = std::minmax_element(w.begin(), w.end());
  EXPECT_GE(*lo, -bound);
  EXPECT_LE(*hi, bound);
  EXPECT_GT(*hi - *lo, bound);  // spans the range
  for (const char* key : {"src_embed.weight", "tgt_embed.weight"}) {
    const Tensor& e = sd.at(key);
    for (int64_t c = 0; c < 8; ++c) EXPECT_EQ(e.at({0, c}), 0.0) << key;
  }
}

TEST(Transformer, EncodeScalesEmbeddingsAndAddsPositions) {
  Transformer model(tiny());
  model.eval();
  const Tensor src = ids({1, 2, 3, 4, 5, 6, 1, 0}, {2, 4});
  const Tensor len = ids({4, 3}, {2});
  SinusoidalPositionalEncoding pe({.dim = 8});
  const Var x = pe.forward(mul(model.src_embed().forward(src), std::sqrt(8.0)));
  const Var want = model.encoder().forward(x, AttentionMask::key_lengths(len));
  EXPECT_TRUE(all_close(model.encode(src, len).value(), want.value(), 0.0, 0.0));
}

TEST(Transformer, ForwardGivesLogitsAndSourceAttention) {
  Transformer model(tiny());
  model.eval();
  const Tensor src = ids({1, 2, 3, 4, 5, 6, 0, 0}, {2, 4});
  const Tensor len = ids({4, 2}, {2});
  const auto out = model.forward(src, len, ids({1, 5, 6, 1, 2, 0}, {2, 3}));
  EXPECT_EQ(out.logits.shape(), (Shape{2, 3, 9}));
  ASSERT_EQ(out.attention.shape(), (Shape{2, 3, 4}));
  for (int64_t t = 0; t < 3; ++t) {
    EXPECT_NEAR(out.attention.value().at({1, t, 0}) + out.attention.value().at({1, t, 1}), 1.0, 1e-6);
    EXPECT_EQ(out.attention.value().at({1, t, 2}), 0.0);
    EXPECT_EQ(out.attention.value().at({1, t, 3}), 0.0);
  }
}

void expect_steps_equal_forward(PositionalEncodingKind positional, bool norm_first) {
  Transformer model(tiny(positional, norm_first));
  model.eval();
  const Tensor src = ids({1, 2, 3, 4, 5, 6, 2, 0, 0, 0}, {2, 5});
  const Tensor len = ids({5, 2}, {2});
  const Tensor tgt_in = ids({1, 4, 8, 3, 1, 2, 2, 7}, {2, 4});
  const auto full = model.forward(src, len, tgt_in);
  const Tensor logp = log_softmax(full.logits, -1).value();
  TransformerState state = model.start(src, len);
  for (int64_t t = 0; t < 4; ++t) {
    const auto step = model.step(state, tgt_in.select(1, t).contiguous());
    EXPECT_TRUE(all_close(step.log_probs.value(), logp.select(1, t), 1e-6, 0.0)) << "step " << t;
    EXPECT_TRUE(all_close(step.attention.value(), full.attention.value().select(1, t), 1e-6, 0.0)) << "step " << t;
  }
  EXPECT_EQ(state.length(), 4);
}

TEST(Transformer, StepEqualsForwardSinusoidalPostNorm) {
  expect_steps_equal_forward(PositionalEncodingKind::sinusoidal, false);
}
TEST(Transformer, StepEqualsForwardLearnedPreNorm) {
  expect_steps_equal_forward(PositionalEncodingKind::learned, true);
}

TEST(Transformer, ReorderedStateContinuesTheChosenItems) {
  Transformer model(tiny());
  model.eval();
  const Tensor src = ids({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor len = ids({3, 1}, {2});
  const Tensor tgt_in = ids({1, 4, 8, 1, 2, 5}, {2, 3});
  TransformerState state = model.start(src, len);
  for (int64_t t = 0; t < 2; ++t) model.step(state, tgt_in.select(1, t).contiguous());
  state.reorder(ids({1, 1}, {2}));
  EXPECT_EQ(state.src_lengths.to_vector<int64_t>(), (std::vector<int64_t>{1, 1}));
  const auto last = model.step(state, ids({5, 5}, {2}));
  const auto want = model.forward(ids({4, 5, 6, 4, 5, 6}, {2, 3}), ids({1, 1}, {2}), ids({1, 2, 5, 1, 2, 5}, {2, 3}));
  const Tensor logp = log_softmax(want.logits, -1).value().select(1, 2);
  EXPECT_TRUE(all_close(last.log_probs.value(), logp, 1e-6, 0.0));
}

TEST(Transformer, TiedEmbeddingsShareOneVar) {
  Transformer model(tiny(PositionalEncodingKind::sinusoidal, false, true));
  EXPECT_EQ(model.generator_weight().id(), model.tgt_embed().weight().id());
  std::set<const void*> distinct;
  for (const Var& p : model.parameters()) EXPECT_TRUE(distinct.insert(p.id()).second) << "a parameter is listed twice";
  const auto out = model.forward(ids({1, 2, 3}, {1, 3}), Tensor(), ids({1, 2}, {1, 2}));
  sum(out.logits).backward();
  // Row 8 is never looked up; its gradient comes from the output projection alone.
  const Tensor& g = model.tgt_embed().weight().grad();
  double row8 = 0.0;
  for (int64_t c = 0; c < 8; ++c) row8 += std::abs(g.at({8, c}));
  EXPECT_GT(row8, 0.0);
  Transformer untied(tiny());
  EXPECT_NE(untied.generator_weight().id(), untied.tgt_embed().weight().id());
}

TEST(Transformer, ErrorsNameArgumentAndShapes) {
  Transformer model(tiny(PositionalEncodingKind::learned));
  const Tensor src = ids({1, 2, 3, 4}, {2, 2});
  EXPECT_THAT(error_of([&] { model.encode(Tensor::zeros({2, 2})); }),
              HasSubstr("src must be i64 [B, T], got f32 of shape [2, 2]"));
  const std::string len = error_of([&] { model.encode(src, ids({1, 2, 2}, {3})); });
  EXPECT_THAT(len, HasSubstr("src_lengths must be i64 [B] with B = src.shape[0] = 2, got i64 of shape [3]"));
  const std::string batch = error_of([&] { model.forward(src, Tensor(), ids({1, 2, 3}, {3, 1})); });
  EXPECT_THAT(batch, HasSubstr("same batch size (got 2 and 3)"));
  EXPECT_THAT(batch, HasSubstr("tgt_in shape [3, 1]"));
  const std::string long_target = error_of([&] { model.forward(src, Tensor(), Tensor::zeros({2, 13}, DType::i64)); });
  EXPECT_THAT(long_target, HasSubstr("offset 0 + T 13 > max_len 12"));
  TransformerState empty;
  EXPECT_THAT(error_of([&] { model.step(empty, ids({1, 1}, {2})); }), HasSubstr("call start() first"));
  TransformerState state = model.start(src);
  EXPECT_THAT(error_of([&] { model.step(state, ids({1, 1, 1}, {3})); }),
              HasSubstr("prev_tokens must be i64 [B] with B = 2 (the state's batch), got i64 of shape [3]"));
  TransformerOptions bad = tiny();
  bad.nhead = 3;
  EXPECT_THAT(error_of([&] { Transformer m(bad); }),
              HasSubstr("d_model must be divisible by nhead (got d_model 8, nhead 3"));
  bad = tiny();
  bad.pad_id = 7;
  EXPECT_THAT(error_of([&] { Transformer m(bad); }), HasSubstr("got 7; src_vocab 7, tgt_vocab 9"));
}

}  // namespace
}  // namespace attend::nn
