// The cell modules RNNCell, LSTMCell, GRUCell, AUGRUCell: torch's parameter names, shapes and init; zero default
// state; unbatched inputs; errors naming the argument and the shapes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/nn/rnn/augru_cell.hpp"
#include "attend/nn/rnn/gru_cell.hpp"
#include "attend/nn/rnn/lstm_cell.hpp"
#include "attend/nn/rnn/rnn_cell.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::bitwise_equal;
using attend::testing::error_of;
using ::testing::HasSubstr;

void expect_cell_parameters(const Module& m, int64_t rows, int64_t in, int64_t hid) {
  const auto named = m.named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "weight_ih");
  EXPECT_EQ(named[0].second.shape(), (Shape{rows, in}));
  EXPECT_EQ(named[1].first, "weight_hh");
  EXPECT_EQ(named[1].second.shape(), (Shape{rows, hid}));
  EXPECT_EQ(named[2].first, "bias_ih");
  EXPECT_EQ(named[2].second.shape(), (Shape{rows}));
  EXPECT_EQ(named[3].first, "bias_hh");
  EXPECT_EQ(named[3].second.shape(), (Shape{rows}));
}

TEST(RecurrentCells, TorchNamesAndShapes) {
  expect_cell_parameters(RNNCell({.input_size = 3, .hidden_size = 5}), 5, 3, 5);
  expect_cell_parameters(LSTMCell({.input_size = 3, .hidden_size = 5}), 20, 3, 5);
  expect_cell_parameters(GRUCell({.input_size = 3, .hidden_size = 5}), 15, 3, 5);
  expect_cell_parameters(AUGRUCell({.input_size = 3, .hidden_size = 5}), 15, 3, 5);
  const GRUCell no_bias({.input_size = 3, .hidden_size = 5, .bias = false});
  EXPECT_EQ(no_bias.named_parameters().size(), 2u);
  EXPECT_FALSE(no_bias.bias_ih().defined());
  EXPECT_FALSE(no_bias.bias_hh().defined());
}

TEST(RecurrentCells, TorchInitRangeEveryParameterItsOwnStreamAndSeedDeterminism) {
  const LSTMCell a({.input_size = 20, .hidden_size = 16, .seed = 4});
  const LSTMCell b({.input_size = 20, .hidden_size = 16, .seed = 4});
  const LSTMCell other({.input_size = 20, .hidden_size = 16, .seed = 5});
  const double bound = 1.0 / std::sqrt(16.0);  // torch: U(-1/√H, 1/√H), H = hidden_size (not input_size)
  for (const auto& [name, p] : a.named_parameters()) {
    const auto v = p.value().to_vector<double>();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    EXPECT_GE(*lo, -bound) << name;
    EXPECT_LT(*hi, bound) << name;
    EXPECT_LT(*lo, -0.8 * bound) << name;
    EXPECT_GT(*hi, 0.8 * bound) << name;
  }
  EXPECT_TRUE(bitwise_equal(a.weight_hh().value(), b.weight_hh().value()));
  EXPECT_FALSE(bitwise_equal(a.weight_hh().value(), other.weight_hh().value()));
  EXPECT_NE(a.bias_ih().value().to_vector<float>()[0], a.bias_hh().value().to_vector<float>()[0]);
}

TEST(RecurrentCells, UndefinedStateIsZeros) {
  Rng rng(1);
  const Var x(Tensor::randn({3, 4}, rng));
  const Var zeros(Tensor::zeros({3, 6}));
  const RNNCell rnn({.input_size = 4, .hidden_size = 6});
  EXPECT_TRUE(bitwise_equal(rnn.forward(x).value(), rnn.forward(x, zeros).value()));
  const GRUCell gru({.input_size = 4, .hidden_size = 6});
  EXPECT_TRUE(bitwise_equal(gru.forward(x).value(), gru.forward(x, zeros).value()));
  const LSTMCell lstm({.input_size = 4, .hidden_size = 6});
  const RecurrentState s = lstm.forward(x), z = lstm.forward(x, {zeros, zeros});
  EXPECT_TRUE(bitwise_equal(s.h.value(), z.h.value()));
  EXPECT_TRUE(bitwise_equal(s.c.value(), z.c.value()));
  const AUGRUCell augru({.input_size = 4, .hidden_size = 6});
  const Var a(Tensor::full({3}, 0.5));
  EXPECT_TRUE(bitwise_equal(augru.forward(x, Var(), a).value(), augru.forward(x, zeros, a).value()));
}

TEST(RecurrentCells, RnnCellReluAgainstHandComputation) {
  RNNCell cell({.input_size = 2, .hidden_size = 2, .nonlinearity = Nonlinearity::relu});
  cell.load_state_dict({{"weight_ih", Tensor::from_vector<float>({1, 0, 0, 1}, {2, 2})},
                        {"weight_hh", Tensor::from_vector<float>({2, 0, 0, 2}, {2, 2})},
                        {"bias_ih", Tensor::from_vector<float>({0.5, -1}, {2})},
                        {"bias_hh", Tensor::from_vector<float>({0, -1}, {2})}});
  const Var x(Tensor::from_vector<float>({1, 1}, {1, 2}));
  const Var h = cell.forward(x, Var(Tensor::from_vector<float>({1, 0.25}, {1, 2})));
  // [1 + 0.5 + 2, 1 − 1 + 0.5 − 1] = [3.5, −0.5] -> relu -> [3.5, 0]
  EXPECT_EQ(h.value().to_vector<float>(), (std::vector<float>{3.5f, 0.0f}));
  cell.eval();  // no effect on a cell
  EXPECT_EQ(cell.forward(x).value().to_vector<float>(),
            (std::vector<float>{1.5f, 0.0f}));
}

TEST(RecurrentCells, LstmCellIsRecurrentStepOnTheInputProjection) {
  Rng rng(2);
  const LSTMCell cell({.input_size = 3, .hidden_size = 4, .seed = 9});
  const Var x(Tensor::randn({2, 3}, rng)), h(Tensor::randn({2, 4}, rng)), c(Tensor::randn({2, 4}, rng));
  const RecurrentState got = cell.forward(x, {h, c});
  const StepWeights w{.weight_hh = cell.weight_hh(), .bias_hh = cell.bias_hh(), .weight_hr = Var()};
  const RecurrentState want = recurrent_step(CellKind::lstm, linear(x, cell.weight_ih(), cell.bias_ih()), {h, c}, w);
  EXPECT_TRUE(bitwise_equal(got.h.value(), want.h.value()));
  EXPECT_TRUE(bitwise_equal(got.c.value(), want.c.value()));
}

TEST(RecurrentCells, UnbatchedInputEqualsABatchOfOne) {
  Rng rng(3);
  const Var x(Tensor::randn({3}, rng)), h(Tensor::randn({5}, rng)), c(Tensor::randn({5}, rng));
  const LSTMCell lstm({.input_size = 3, .hidden_size = 5});
  const RecurrentState one = lstm.forward(x, {h, c});
  const RecurrentState batch = lstm.forward(unsqueeze(x, 0), {unsqueeze(h, 0), unsqueeze(c, 0)});
  EXPECT_EQ(one.h.shape(), (Shape{5}));
  EXPECT_TRUE(bitwise_equal(one.h.value(), batch.h.value().squeeze(0)));
  EXPECT_TRUE(bitwise_equal(one.c.value(), batch.c.value().squeeze(0)));
  const GRUCell gru({.input_size = 3, .hidden_size = 5});
  EXPECT_TRUE(bitwise_equal(gru.forward(x).value(), gru.forward(unsqueeze(x, 0)).value().squeeze(0)));
  const AUGRUCell augru({.input_size = 3, .hidden_size = 5});
  const Var a(Tensor::scalar(0.7));
  const Var batched = augru.forward(unsqueeze(x, 0), unsqueeze(h, 0), Var(Tensor::full({1}, 0.7)));  // [1, 5]
  EXPECT_TRUE(bitwise_equal(augru.forward(x, h, a).value(), batched.value().squeeze(0)));
}

TEST(RecurrentCells, AugruAttentionScalesTheUpdate) {
  Rng rng(4);
  const AUGRUCell augru({.input_size = 3, .hidden_size = 4, .seed = 1});
  GRUCell gru({.input_size = 3, .hidden_size = 4});
  gru.load_state_dict(augru.state_dict());  // same names, so GRU weights load into AUGRU and back
  const Var x(Tensor::randn({2, 3}, rng)), h(Tensor::randn({2, 4}, rng));
  const Var out = augru.forward(x, h, Var(Tensor::from_vector<float>({0, 1}, {2})));
  EXPECT_TRUE(bitwise_equal(out.value().select(0, 0), h.value().select(0, 0)));  // a = 0: the state is kept
  EXPECT_TRUE(all_close(out.value().select(0, 1), gru.forward(x, h).value().select(0, 1), 1e-6, 1e-6));  // a = 1: GRU
  const Var a(Tensor::from_vector<float>({0.25, 0.5}, {2}), true);
  sum(augru.forward(x, h, a)).backward();
  ASSERT_TRUE(a.grad().defined());
  EXPECT_NE(a.grad().to_vector<float>()[0], 0.0f);
}

TEST(RecurrentCells, ErrorsNameTheArgumentAndShapes) {
  const RNNCell rnn({.input_size = 4, .hidden_size = 3});
  EXPECT_THAT(error_of([&] { rnn.forward(Var(Tensor::zeros({2, 5}))); }),
              HasSubstr("RNNCell: input must be [B, input_size] or [input_size] with input_size = 4; "
                        "input shape [2, 5]"));
  EXPECT_THAT(error_of([&] { rnn.forward(Var(Tensor::zeros({2, 2, 4}))); }), HasSubstr("input shape [2, 2, 4]"));
  EXPECT_THAT(error_of([&] { rnn.forward(Var(Tensor::zeros({2, 4})), Var(Tensor::zeros({2, 4}))); }),
              HasSubstr("RNNCell: h must have shape [2, 3] for input shape [2, 4]; h shape [2, 4]"));
  const LSTMCell lstm({.input_size = 4, .hidden_size = 3});
  EXPECT_THAT(error_of([&] { lstm.forward(Var(Tensor::zeros({2, 4})), {Var(), Var(Tensor::zeros({3}))}); }),
              HasSubstr("LSTMCell: c must have shape [2, 3] for input shape [2, 4]; c shape [3]"));
  const GRUCell gru({.input_size = 4, .hidden_size = 3});
  EXPECT_THAT(error_of([&] { gru.forward(Var(Tensor::zeros({4})), Var(Tensor::zeros({1, 3}))); }),
              HasSubstr("GRUCell: h must have shape [3] for input shape [4]; h shape [1, 3]"));
  const AUGRUCell augru({.input_size = 4, .hidden_size = 3});
  EXPECT_THAT(error_of([&] { augru.forward(Var(Tensor::zeros({2, 4})), Var(), Var(Tensor::zeros({3}))); }),
              HasSubstr("AUGRUCell: attention must have shape [2] for input shape [2, 4]; attention shape [3]"));
  EXPECT_THAT(error_of([&] { augru.forward(Var(Tensor::zeros({2, 4})), Var(), Var()); }),
              HasSubstr("attention shape (undefined)"));
  EXPECT_THAT(error_of([] { LSTMCell({.input_size = 4, .hidden_size = 0}); }),
              HasSubstr("LSTMCell: input_size must be >= 0 and hidden_size > 0 (got 4 and 0)"));
}

}  // namespace
}  // namespace attend::nn
