// The RNN sequence module: torch's parameter names, layouts, the time loop against the cells, initial states,
// dropout between layers, dtypes, thread-count independence.
#include "attend/nn/rnn/rnn.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/core/threads.hpp"
#include "attend/nn/rnn/gru_cell.hpp"
#include "attend/nn/rnn/lstm_cell.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::bitwise_equal;

TEST(RNNModule, StateDictNamesAndShapesAreTorchsForTwoLayersBidirectionalProj) {
  // torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2).state_dict(), in its order.
  const std::vector<std::pair<std::string, Shape>> want = {
      {"weight_ih_l0", {16, 3}},         {"weight_hh_l0", {16, 2}},         {"bias_ih_l0", {16}},
      {"bias_hh_l0", {16}},              {"weight_hr_l0", {2, 4}},          {"weight_ih_l0_reverse", {16, 3}},
      {"weight_hh_l0_reverse", {16, 2}}, {"bias_ih_l0_reverse", {16}},      {"bias_hh_l0_reverse", {16}},
      {"weight_hr_l0_reverse", {2, 4}},  {"weight_ih_l1", {16, 4}},         {"weight_hh_l1", {16, 2}},
      {"bias_ih_l1", {16}},              {"bias_hh_l1", {16}},              {"weight_hr_l1", {2, 4}},
      {"weight_ih_l1_reverse", {16, 4}}, {"weight_hh_l1_reverse", {16, 2}}, {"bias_ih_l1_reverse", {16}},
      {"bias_hh_l1_reverse", {16}},      {"weight_hr_l1_reverse", {2, 4}}};
  RNN lstm({.mode = CellKind::lstm, .input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true,
            .proj_size = 2});
  const auto named = lstm.named_parameters();
  ASSERT_EQ(named.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(named[i].first, want[i].first);
    EXPECT_EQ(named[i].second.shape(), want[i].second) << want[i].first;
  }
  RNN gru({.mode = CellKind::gru, .input_size = 3, .hidden_size = 4, .bias = false});
  ASSERT_EQ(gru.named_parameters().size(), 2u);
  EXPECT_EQ(gru.named_parameters()[1].first, "weight_hh_l0");
  EXPECT_EQ(gru.named_parameters()[1].second.shape(), (Shape{12, 4}));
}

TEST(RNNModule, OneLayerIsTheCellLoopedOverTime) {
  Rng rng(1);
  RNN rnn({.mode = CellKind::gru, .input_size = 3, .hidden_size = 4, .seed = 2});
  GRUCell cell({.input_size = 3, .hidden_size = 4});
  cell.load_state_dict({{"weight_ih", rnn.state_dict().at("weight_ih_l0")},
                        {"weight_hh", rnn.state_dict().at("weight_hh_l0")},
                        {"bias_ih", rnn.state_dict().at("bias_ih_l0")},
                        {"bias_hh", rnn.state_dict().at("bias_hh_l0")}});
  const Var x(Tensor::randn({2, 5, 3}, rng));  // [B, T, I]
  const RecurrentOutput out = rnn.forward(x);
  ASSERT_EQ(out.output.shape(), (Shape{2, 5, 4}));
  ASSERT_EQ(out.h_n.shape(), (Shape{1, 2, 4}));
  EXPECT_FALSE(out.c_n.defined());
  Var h;
  for (int64_t t = 0; t < 5; ++t) {
    h = cell.forward(select(x, 1, t), h);
    EXPECT_TRUE(all_close(out.output.value().select(1, t), h.value(), 1e-6, 1e-5)) << "t = " << t;
  }
  EXPECT_TRUE(all_close(out.h_n.value().select(0, 0), h.value(), 1e-6, 1e-5));
}

TEST(RNNModule, ReverseDirectionRunsBackwardsAndLayersStack) {
  Rng rng(2);
  RNN bi({.mode = CellKind::lstm, .input_size = 3, .hidden_size = 4, .bidirectional = true, .seed = 3});
  LSTMCell back({.input_size = 3, .hidden_size = 4});
  back.load_state_dict({{"weight_ih", bi.state_dict().at("weight_ih_l0_reverse")},
                        {"weight_hh", bi.state_dict().at("weight_hh_l0_reverse")},
                        {"bias_ih", bi.state_dict().at("bias_ih_l0_reverse")},
                        {"bias_hh", bi.state_dict().at("bias_hh_l0_reverse")}});
  const Var x(Tensor::randn({2, 4, 3}, rng));
  const RecurrentOutput out = bi.forward(x);
  ASSERT_EQ(out.output.shape(), (Shape{2, 4, 8}));
  ASSERT_EQ(out.c_n.shape(), (Shape{2, 2, 4}));
  RecurrentState s;
  for (int64_t t = 3; t >= 0; --t) {
    s = back.forward(select(x, 1, t), s);
    EXPECT_TRUE(all_close(out.output.value().select(1, t).narrow(1, 4, 4), s.h.value(), 1e-6, 1e-5)) << t;
  }
  EXPECT_TRUE(all_close(out.h_n.value().select(0, 1), s.h.value(), 1e-6, 1e-5));
  EXPECT_TRUE(all_close(out.c_n.value().select(0, 1), s.c.value(), 1e-6, 1e-5));
}

TEST(RNNModule, TimeFirstLayoutIsTheTransposeOfBatchFirst) {
  Rng rng(3);
  RNN bf({.mode = CellKind::rnn_relu, .input_size = 3, .hidden_size = 4, .num_layers = 2, .seed = 5});
  RNN tf({.mode = CellKind::rnn_relu, .input_size = 3, .hidden_size = 4, .num_layers = 2, .batch_first = false,
          .seed = 5});
  const Var x(Tensor::randn({2, 6, 3}, rng));                      // [B, T, I]
  const RecurrentOutput a = bf.forward(x), b = tf.forward(transpose(x, 0, 1));  // [T, B, I]
  EXPECT_EQ(b.output.shape(), (Shape{6, 2, 4}));
  EXPECT_TRUE(bitwise_equal(a.output.value(), b.output.value().transpose(0, 1)));
  EXPECT_TRUE(bitwise_equal(a.h_n.value(), b.h_n.value()));
}

TEST(RNNModule, InitialStatesAreUsedAndGetGradients) {
  Rng rng(4);
  RNN lstm({.mode = CellKind::lstm, .input_size = 2, .hidden_size = 3, .num_layers = 2, .proj_size = 2});
  const Var x(Tensor::randn({2, 3, 2}, rng));
  const Var h0(Tensor::randn({2, 2, 2}, rng), true), c0(Tensor::randn({2, 2, 3}, rng), true);
  const RecurrentOutput with = lstm.forward(x, Tensor(), {h0, c0}), without = lstm.forward(x);
  EXPECT_EQ(with.h_n.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(with.c_n.shape(), (Shape{2, 2, 3}));
  EXPECT_FALSE(all_close(with.output.value(), without.output.value(), 1e-3, 0));
  const RecurrentState zeros{Var(Tensor::zeros({2, 2, 2})), Var(Tensor::zeros({2, 2, 3}))};
  const RecurrentOutput zero = lstm.forward(x, Tensor(), zeros);
  EXPECT_TRUE(bitwise_equal(zero.output.value(), without.output.value()));
  sum(with.output).backward();
  ASSERT_TRUE(h0.grad().defined());
  ASSERT_TRUE(c0.grad().defined());
  bool nonzero = false;  // layer 1's initial state reaches the output
  for (float g : h0.grad().select(0, 1).to_vector<float>()) nonzero = nonzero || g != 0.0f;
  EXPECT_TRUE(nonzero);
}

TEST(RNNModule, DropoutBetweenLayersOnlyWhileTraining) {
  Rng rng(5);
  const RecurrentOptions o{.mode = CellKind::gru, .input_size = 3, .hidden_size = 8, .num_layers = 2,
                           .dropout = 0.5, .seed = 7};
  RNN a(o), b(o);
  RecurrentOptions plain = o;
  plain.dropout = 0.0;
  RNN c(plain);
  const Var x(Tensor::randn({2, 4, 3}, rng));
  const Tensor first = a.forward(x).output.value(), again = a.forward(x).output.value();
  EXPECT_FALSE(bitwise_equal(first, again));                        // the mask generator advances
  EXPECT_TRUE(bitwise_equal(first, b.forward(x).output.value()));   // and is a function of the seed
  EXPECT_FALSE(bitwise_equal(first, c.forward(x).output.value()));  // dropout is applied between the layers
  a.eval();
  EXPECT_TRUE(bitwise_equal(a.forward(x).output.value(), c.forward(x).output.value()));
  RecurrentOptions single = o;  // one layer: nothing to drop (torch drops after every layer but the last)
  single.num_layers = 1;
  RecurrentOptions single_plain = single;
  single_plain.dropout = 0.0;
  EXPECT_TRUE(bitwise_equal(RNN(single).forward(x).output.value(), RNN(single_plain).forward(x).output.value()));
}

TEST(RNNModule, F64AfterTo) {
  Rng rng(6);
  RNN gru({.mode = CellKind::gru, .input_size = 3, .hidden_size = 4});
  const Var x(Tensor::randn({2, 3, 3}, rng));
  const Tensor f32 = gru.forward(x).output.value();
  gru.to(DType::f64);
  const RecurrentOutput out = gru.forward(Var(x.value().to(DType::f64)), Tensor::from_vector<int64_t>({3, 2}, {2}));
  EXPECT_EQ(out.output.dtype(), DType::f64);
  EXPECT_TRUE(all_close(out.output.value().select(0, 0), f32.select(0, 0), 1e-6, 1e-5));
}

TEST(RNNModule, OneAndTwoThreadsAreBitwiseEqual) {
  const int saved = num_threads();
  auto run = [](int threads) {
    set_num_threads(threads);
    Rng rng(8);
    RNN lstm({.mode = CellKind::lstm, .input_size = 16, .hidden_size = 32, .num_layers = 2, .dropout = 0.2,
              .bidirectional = true, .seed = 1});
    const Var x(Tensor::randn({8, 12, 16}, rng), true);
    const RecurrentOutput out = lstm.forward(x, Tensor::from_vector<int64_t>({12, 3, 7, 12, 1, 9, 12, 5}, {8}));
    out.output.backward(Tensor::randn(out.output.shape(), rng));
    std::vector<Tensor> results = {out.output.value(), out.h_n.value(), x.grad()};
    for (const auto& [name, p] : lstm.named_parameters()) results.push_back(p.grad());
    return results;
  };
  const auto one = run(1), two = run(2);
  set_num_threads(saved);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(bitwise_equal(one[i], two[i])) << i;
}

}  // namespace
}  // namespace attend::nn
