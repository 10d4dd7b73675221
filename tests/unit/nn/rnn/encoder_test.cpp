// Encoder (embedding + RNN with lengths) and Bridge (encoder final states -> decoder initial state).
#include "attend/nn/rnn/encoder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/nn/rnn/bridge.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

Tensor ids(std::vector<int64_t> v, Shape shape) { return Tensor::from_vector<int64_t>(v, shape); }

Var randn(const Shape& shape, uint64_t seed) {
  Rng rng(seed);
  return Var(Tensor::randn(shape, rng));
}

TEST(Encoder, ParameterNamesArePyTorchs) {
  Encoder enc({.vocab_size = 7, .embedding_dim = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true});
  const auto named = enc.named_parameters();
  ASSERT_EQ(named.size(), 1u + 2 * 2 * 4);
  EXPECT_EQ(named[0].first, "embedding.weight");
  EXPECT_EQ(named[0].second.shape(), (Shape{7, 3}));
  const auto state = enc.state_dict();
  EXPECT_EQ(state.at("rnn.weight_ih_l0").shape(), (Shape{12, 3}));
  EXPECT_EQ(state.at("rnn.weight_ih_l1_reverse").shape(), (Shape{12, 8}));
  EXPECT_EQ(state.at("rnn.bias_hh_l1").shape(), (Shape{12}));
  EXPECT_EQ(enc.output_size(), 8);
}

TEST(Encoder, PaddedBatchEqualsEachItemAloneAndPadsWithZeros) {
  Encoder enc({.vocab_size = 9, .embedding_dim = 3, .hidden_size = 4, .num_layers = 2, .cell = CellKind::lstm,
               .bidirectional = true, .seed = 2});
  const Tensor src = ids({1, 5, 7, 2, 3, 8, 0, 0}, {2, 4});  // item 1 has 2 tokens, then padding
  const EncoderOutput both = enc.forward(src, ids({4, 2}, {2}));
  EXPECT_EQ(both.memory.shape(), (Shape{2, 4, 8}));
  EXPECT_EQ(both.h_n.shape(), (Shape{4, 2, 4}));
  EXPECT_EQ(both.c_n.shape(), (Shape{4, 2, 4}));
  const EncoderOutput alone = enc.forward(ids({3, 8}, {1, 2}));
  EXPECT_TRUE(all_close(both.memory.value().narrow(0, 1, 1).narrow(1, 0, 2), alone.memory.value(), 1e-6));
  EXPECT_TRUE(all_close(both.memory.value().narrow(0, 1, 1).narrow(1, 2, 2), Tensor::zeros({1, 2, 8}), 0.0));
  EXPECT_TRUE(all_close(both.h_n.value().narrow(1, 1, 1), alone.h_n.value(), 1e-6));
  EXPECT_TRUE(all_close(both.c_n.value().narrow(1, 1, 1), alone.c_n.value(), 1e-6));
}

TEST(Encoder, PaddingRowGetsNoGradient) {
  Encoder enc({.vocab_size = 5, .embedding_dim = 2, .hidden_size = 3, .bidirectional = true});
  sum(enc.forward(ids({1, 2, 3, 4, 0, 0}, {2, 3}), ids({3, 1}, {2})).memory).backward();
  const Tensor g = enc.embedding().weight().grad();
  EXPECT_TRUE(all_close(g.select(0, 0), Tensor::zeros({2}), 0.0));
  EXPECT_GT(std::abs(g.select(0, 4).to_vector<float>()[0]) + std::abs(g.select(0, 4).to_vector<float>()[1]), 0.0f);
}

TEST(Encoder, ErrorsNameTheArgumentAndShapes) {
  Encoder enc({.vocab_size = 5, .embedding_dim = 2, .hidden_size = 3});
  EXPECT_THAT(error_of([&] { enc.forward(Tensor::zeros({2, 3})); }),
              HasSubstr("Encoder: src must be i64 [B, Ts], got f32 with shape [2, 3]"));
  EXPECT_THAT(error_of([&] { enc.forward(ids({1, 2}, {2})); }),
              HasSubstr("Encoder: src must be i64 [B, Ts], got i64 with shape [2]"));
  EXPECT_THAT(error_of([&] { enc.forward(ids({1, 2, 3, 4}, {2, 2}), ids({2, 3}, {2})); }),
              HasSubstr("src_lengths[1] = 3 is outside [1, Ts = 2]; src_lengths shape [2], src shape [2, 2]"));
  EXPECT_THAT(error_of([&] { enc.forward(ids({1, 2, 3, 4}, {2, 2}), ids({0, 2}, {2})); }),
              HasSubstr("src_lengths[0] = 0 is outside [1, Ts = 2]"));
  EXPECT_THAT(error_of([&] { enc.forward(ids({1, 2, 3, 4}, {2, 2}), ids({2}, {1})); }),
              HasSubstr("src_lengths must be i64 [B] = [2], got i64 with shape [1]; src shape [2, 2]"));
  EXPECT_THAT(error_of([&] { enc.forward(ids({1, 9}, {1, 2})); }), HasSubstr("id 9 at flat position 1"));
  EXPECT_THAT(error_of([] { Encoder e({.vocab_size = 5, .embedding_dim = 0, .hidden_size = 3}); }),
              HasSubstr("Encoder: embedding_dim must be positive, got 0"));
}

// --- Bridge ---

TEST(Bridge, CopyConcatenatesTheLastLayersDirections) {
  Bridge bridge({.kind = BridgeKind::copy, .encoder_hidden = 2, .encoder_layers = 2, .bidirectional = true,
                 .decoder_hidden = 4});
  // h_n [L·D = 4, B = 1, 2]: layer 1 forward = (5, 6), layer 1 backward = (7, 8).
  const Var h_n(Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {4, 1, 2}));
  const RecurrentState s = bridge.forward(h_n);
  EXPECT_EQ(s.h.value().to_vector<float>(), (std::vector<float>{5, 6, 7, 8}));
  EXPECT_FALSE(s.c.defined());
  EXPECT_TRUE(bridge.named_parameters().empty());
}

TEST(Bridge, LinearIsTanhOfAnAffineMapAndLstmGetsACell) {
  Bridge bridge({.kind = BridgeKind::linear, .encoder_cell = CellKind::lstm, .encoder_hidden = 1,
                 .bidirectional = true, .decoder_cell = CellKind::lstm, .decoder_hidden = 1});
  bridge.load_state_dict({{"linear_h.weight", Tensor::from_vector<float>({0.5f, -1.0f}, {1, 2})},
                          {"linear_h.bias", Tensor::from_vector<float>({0.1f}, {1})},
                          {"linear_c.weight", Tensor::from_vector<float>({2.0f, 1.0f}, {1, 2})},
                          {"linear_c.bias", Tensor::from_vector<float>({0.0f}, {1})}});
  const Var h_n(Tensor::from_vector<float>({0.4f, 0.3f}, {2, 1, 1}));
  const Var c_n(Tensor::from_vector<float>({-0.2f, 0.1f}, {2, 1, 1}));
  const RecurrentState s = bridge.forward(h_n, c_n);
  EXPECT_NEAR(s.h.value().to_vector<float>()[0], std::tanh(0.5 * 0.4 - 0.3 + 0.1), 1e-6);
  EXPECT_NEAR(s.c.value().to_vector<float>()[0], std::tanh(2 * -0.2 + 0.1), 1e-6);
}

TEST(Bridge, ZerosAndGruToLstmGiveZeroStates) {
  Bridge zeros({.kind = BridgeKind::zeros, .encoder_hidden = 3, .decoder_cell = CellKind::lstm, .decoder_hidden = 5});
  const RecurrentState z = zeros.forward(randn({1, 2, 3}, 1));
  EXPECT_TRUE(all_close(z.h.value(), Tensor::zeros({2, 5}), 0.0));
  EXPECT_TRUE(all_close(z.c.value(), Tensor::zeros({2, 5}), 0.0));
  Bridge gru_to_lstm({.kind = BridgeKind::linear, .encoder_hidden = 3, .decoder_cell = CellKind::lstm,
                      .decoder_hidden = 5});
  const RecurrentState s = gru_to_lstm.forward(randn({1, 2, 3}, 1));
  EXPECT_EQ(s.h.shape(), (Shape{2, 5}));
  EXPECT_TRUE(all_close(s.c.value(), Tensor::zeros({2, 5}), 0.0));
}

TEST(Bridge, ErrorsNameTheOptionsAndShapes) {
  EXPECT_THAT(error_of([] {
                Bridge b({.kind = BridgeKind::copy, .encoder_hidden = 3, .bidirectional = true, .decoder_hidden = 4});
              }),
              HasSubstr("copy needs the encoder's final state width (directions × encoder_hidden = 6) to equal "
                        "decoder_hidden (4)"));
  Bridge b({.kind = BridgeKind::linear, .encoder_hidden = 3, .encoder_layers = 2, .decoder_hidden = 4});
  EXPECT_THAT(error_of([&] { b.forward(randn({1, 2, 3}, 1)); }),
              HasSubstr("Bridge: h_n must be [L·D, B, He] = [2, B, 3], got shape [1, 2, 3]"));
  Bridge lstm({.kind = BridgeKind::copy, .encoder_cell = CellKind::lstm, .encoder_hidden = 3,
               .decoder_cell = CellKind::lstm, .decoder_hidden = 3});
  EXPECT_THAT(error_of([&] { lstm.forward(randn({1, 2, 3}, 1)); }),
              HasSubstr("Bridge: c_n is required from an lstm encoder (h_n shape [1, 2, 3])"));
  EXPECT_THAT(error_of([] { parse_bridge_kind("mean"); }), HasSubstr("unknown bridge 'mean' (expected zeros, copy"));
}

}  // namespace
}  // namespace attend::nn
