#include "attend/nn/transformer/encoder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

TEST(TransformerEncoder, StateDictHasTorchNames) {
  TransformerEncoder with({.layer = {.d_model = 4, .nhead = 2, .dim_feedforward = 8}, .num_layers = 2, .norm = true});
  const auto sd = with.state_dict();
  EXPECT_EQ(sd.size(), 2u * 12u + 2u);
  for (const char* key : {"layers.0.self_attn.in_proj_weight", "layers.1.self_attn.out_proj.bias",
                          "layers.1.linear2.weight", "layers.0.norm2.bias", "norm.weight", "norm.bias"}) {
    EXPECT_TRUE(sd.contains(key)) << key;
  }
  TransformerEncoder without({.layer = {.d_model = 4, .nhead = 2, .dim_feedforward = 8}, .num_layers = 1});
  EXPECT_EQ(without.state_dict().size(), 12u);
  EXPECT_EQ(without.norm(), nullptr);
}

TEST(TransformerEncoder, LayersInTurnThenNormAndEachLayerHasItsOwnInit) {
  TransformerEncoder enc({.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0, .seed = 9},
                          .num_layers = 3,
                          .norm = true});
  EXPECT_FALSE(all_close(enc.layer(0).self_attn().state_dict().at("in_proj_weight"),
                         enc.layer(1).self_attn().state_dict().at("in_proj_weight"), 1e-3));
  Rng rng(1);
  enc.norm()->weight().value().copy_(Tensor::randn({8}, rng));
  const Var x(Tensor::randn({2, 4, 8}, rng));
  const AttentionMask mask = AttentionMask::key_lengths(Tensor::from_vector<int64_t>({4, 3}, {2}));
  Var h = x;
  for (int64_t l = 0; l < 3; ++l) h = enc.layer(l).forward(h, mask);
  EXPECT_TRUE(all_close(enc.forward(x, mask).value(), enc.norm()->forward(h).value(), 0.0, 0.0));
}

TEST(TransformerEncoder, ErrorsNameTheValue) {
  EXPECT_THAT(error_of([] { TransformerEncoder({.layer = {.d_model = 4, .nhead = 2}, .num_layers = 0}); }),
              HasSubstr("num_layers must be at least 1, got 0"));
  EXPECT_THAT(error_of([] { TransformerEncoder({.layer = {.d_model = 6, .nhead = 4}, .num_layers = 1}); }),
              HasSubstr("TransformerEncoder: d_model must be divisible by nhead (got d_model 6, nhead 4"));
}

}  // namespace
}  // namespace attend::nn
