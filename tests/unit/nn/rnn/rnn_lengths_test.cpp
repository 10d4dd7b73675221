// RNN with variable lengths (no sorting, no packing), truncated BPTT, and every argument error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/nn/rnn/rnn.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

bool all_zero(const Tensor& t) {
  for (double v : t.to_vector<double>()) {
    if (v != 0.0) return false;
  }
  return true;
}

struct LengthsCase {
  CellKind mode;
  int64_t proj = 0;
  bool batch_first = true;
};

void PrintTo(const LengthsCase& c, std::ostream* os) {
  *os << cell_kind_name(c.mode) << " proj " << c.proj << (c.batch_first ? " batch first" : " time first");
}

class RNNLengths : public ::testing::TestWithParam<LengthsCase> {
 protected:
  RecurrentOptions options() const {
    const LengthsCase p = GetParam();
    return {.mode = p.mode, .input_size = 3, .hidden_size = 4, .num_layers = 2, .batch_first = p.batch_first,
            .bidirectional = true, .proj_size = p.proj, .seed = 11};
  }
};

TEST_P(RNNLengths, PaddedBatchEqualsEachSampleRunAlone) {
  RNN rnn(options());
  const bool bf = GetParam().batch_first, lstm = GetParam().mode == CellKind::lstm;
  const int64_t batch_dim = bf ? 0 : 1, time_dim = bf ? 1 : 0, out = rnn.output_size();
  // Unsorted with one item full length; then every item shorter than T (the last step is padding for all).
  for (const std::vector<int64_t>& len : {std::vector<int64_t>{5, 2, 4}, std::vector<int64_t>{3, 2, 4}}) {
    SCOPED_TRACE("lengths " + std::to_string(len[0]) + " " + std::to_string(len[1]) + " " + std::to_string(len[2]));
    Rng rng(1);
    const Var x(Tensor::randn(bf ? Shape{3, 5, 3} : Shape{5, 3, 3}, rng, DType::f32, 0.0, 3.0));  // padding is noise
    const Var h0(Tensor::randn({4, 3, out}, rng)), c0(Tensor::randn({4, 3, 4}, rng));
    const RecurrentState initial{h0, lstm ? c0 : Var()};
    const RecurrentOutput all = rnn.forward(x, Tensor::from_vector(len, {3}), initial);
    for (int64_t b = 0; b < 3; ++b) {
      const Var xb = narrow(narrow(x, batch_dim, b, 1), time_dim, 0, len[b]);  // item b alone, its real steps only
      const RecurrentState ib{narrow(h0, 1, b, 1), lstm ? narrow(c0, 1, b, 1) : Var()};
      const RecurrentOutput one = rnn.forward(xb, Tensor(), ib);
      const Tensor got = all.output.value().narrow(batch_dim, b, 1);
      EXPECT_TRUE(all_close(got.narrow(time_dim, 0, len[b]), one.output.value(), 1e-6, 1e-5)) << "item " << b;
      if (len[b] < 5) {
        EXPECT_TRUE(all_zero(got.narrow(time_dim, len[b], 5 - len[b]))) << "item " << b;
      }
      EXPECT_TRUE(all_close(all.h_n.value().narrow(1, b, 1), one.h_n.value(), 1e-6, 1e-5)) << "item " << b;
      if (lstm) {
        EXPECT_TRUE(all_close(all.c_n.value().narrow(1, b, 1), one.c_n.value(), 1e-6, 1e-5)) << "item " << b;
      }
    }
  }
}

TEST_P(RNNLengths, GradientsAreZeroForPaddedInputsOnly) {
  RNN rnn(options());
  const bool bf = GetParam().batch_first;
  const int64_t batch_dim = bf ? 0 : 1, time_dim = bf ? 1 : 0;
  Rng rng(2);
  const Var x(Tensor::randn(bf ? Shape{3, 5, 3} : Shape{5, 3, 3}, rng), true);
  const std::vector<int64_t> len = {2, 5, 3};
  const RecurrentOutput out = rnn.forward(x, Tensor::from_vector(len, {3}));
  Var loss = add(sum(mul(out.output, Var(Tensor::randn(out.output.shape(), rng)))),
                 sum(mul(out.h_n, Var(Tensor::randn(out.h_n.shape(), rng)))));
  if (out.c_n.defined()) loss = add(loss, sum(out.c_n));
  loss.backward();
  for (int64_t b = 0; b < 3; ++b) {
    const Tensor g = x.grad().narrow(batch_dim, b, 1);
    EXPECT_FALSE(all_zero(g.narrow(time_dim, len[b] - 1, 1))) << "item " << b << ": last real step";
    if (len[b] < 5) {
      EXPECT_TRUE(all_zero(g.narrow(time_dim, len[b], 5 - len[b]))) << "item " << b;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryMode, RNNLengths,
                         ::testing::Values(LengthsCase{CellKind::rnn_tanh}, LengthsCase{CellKind::rnn_relu, 0, false},
                                           LengthsCase{CellKind::lstm}, LengthsCase{CellKind::lstm, 2, false},
                                           LengthsCase{CellKind::gru}),
                         [](const ::testing::TestParamInfo<LengthsCase>& row) {
                           return std::string(cell_kind_name(row.param.mode)) +
                                  (row.param.proj > 0 ? "_proj" : "") +
                                  (row.param.batch_first ? "_batch_first" : "_time_first");
                         });

TEST(RNNTruncatedBptt, ChunksWithDetachedStateGiveTheSameForward) {
  RNN lstm({.mode = CellKind::lstm, .input_size = 3, .hidden_size = 5, .num_layers = 2, .seed = 4});
  Rng rng(3);
  const Var x(Tensor::randn({2, 10, 3}, rng), true);
  const RecurrentOutput whole = lstm.forward(x);
  RecurrentState state;
  std::vector<Var> outputs;
  Var last_chunk_input;
  for (const auto& [start, length] : std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {4, 3}, {7, 3}}) {
    last_chunk_input = Var(x.value().narrow(1, start, length), true);
    const RecurrentOutput part = lstm.forward(last_chunk_input, Tensor(), state);
    outputs.push_back(part.output);
    state = {part.h_n.detach(), part.c_n.detach()};
  }
  EXPECT_TRUE(all_close(concat(outputs, 1).value(), whole.output.value(), 1e-6, 1e-5));
  EXPECT_TRUE(all_close(state.h.value(), whole.h_n.value(), 1e-6, 1e-5));
  EXPECT_TRUE(all_close(state.c.value(), whole.c_n.value(), 1e-6, 1e-5));
  // The last chunk's loss reaches its own input and the weights, but nothing before the detached state.
  lstm.zero_grad();
  sum(outputs[2]).backward();
  EXPECT_TRUE(last_chunk_input.grad().defined());
  EXPECT_FALSE(state.h.requires_grad());
}

TEST(RNNErrors, EachNamesTheArgumentAndShapes) {
  RNN lstm({.mode = CellKind::lstm, .input_size = 3, .hidden_size = 4, .num_layers = 2, .proj_size = 2});
  const Var x(Tensor::zeros({2, 5, 3}));
  EXPECT_THAT(error_of([&] { lstm.forward(Var(Tensor::zeros({2, 5, 4}))); }),
              HasSubstr("RNN: input.shape[-1] must equal input_size (expected 3, got 4); input shape [2, 5, 4]"));
  EXPECT_THAT(error_of([&] { lstm.forward(Var(Tensor::zeros({5, 3}))); }),
              HasSubstr("RNN: input must be 3-D, [B, T, I] (got shape [5, 3])"));
  EXPECT_THAT(error_of([&] { lstm.forward(x, Tensor::from_vector<float>({5, 5}, {2})); }),
              HasSubstr("RNN: lengths must be an i64 tensor of shape [B] = [2], got f32 with shape [2]"));
  EXPECT_THAT(error_of([&] { lstm.forward(x, Tensor::from_vector<int64_t>({5, 5, 5}, {3})); }),
              HasSubstr("got i64 with shape [3]"));
  EXPECT_THAT(error_of([&] { lstm.forward(x, Tensor::from_vector<int64_t>({5, 6}, {2})); }),
              HasSubstr("RNN: lengths[1] = 6 must be in [1, T] with T = 5"));
  EXPECT_THAT(error_of([&] { lstm.forward(x, Tensor::from_vector<int64_t>({0, 5}, {2})); }),
              HasSubstr("RNN: lengths[0] = 0 must be in [1, T] with T = 5"));
  EXPECT_THAT(error_of([&] { lstm.forward(x, Tensor(), {Var(Tensor::zeros({2, 2, 4})), Var()}); }),
              HasSubstr("RNN: initial h (h0) must be [L·D, B, H_out] = [2, 2, 2]; h0 shape [2, 2, 4], input shape "
                        "[2, 5, 3]"));
  EXPECT_THAT(error_of([&] { lstm.forward(x, Tensor(), {Var(), Var(Tensor::zeros({2, 2, 2}))}); }),
              HasSubstr("RNN: initial c (c0) must be [L·D, B, H] = [2, 2, 4]; c0 shape [2, 2, 2]"));
  RNN gru({.mode = CellKind::gru, .input_size = 3, .hidden_size = 4, .batch_first = false});
  EXPECT_THAT(error_of([&] { gru.forward(x, Tensor(), {Var(), Var(Tensor::zeros({1, 5, 4}))}); }),
              HasSubstr("RNN: initial c (c0) is only for lstm, got c0 shape [1, 5, 4] with mode gru"));
  EXPECT_THAT(error_of([&] { gru.forward(Var(Tensor::zeros({5}))); }),
              HasSubstr("RNN: input must be 3-D, [T, B, I] (got shape [5])"));
  EXPECT_THAT(error_of([&] { gru.forward(Var(Tensor::zeros({0, 2, 3}))); }),
              HasSubstr("at least one time step; input shape [0, 2, 3]"));
  EXPECT_THAT(error_of([&] { gru.forward(Var(Tensor::zeros({2, 2, 3}, DType::f64))); }),
              HasSubstr("RNN: input is f64 but the parameters are f32"));
  EXPECT_THAT(error_of([] { RNN({.mode = CellKind::gru, .input_size = 3, .hidden_size = 4, .proj_size = 2}); }),
              HasSubstr("RNN: proj_size is only supported with mode lstm (got proj_size 2 with mode gru)"));
  EXPECT_THAT(error_of([] { RNN({.mode = CellKind::lstm, .input_size = 3, .hidden_size = 4, .proj_size = 4}); }),
              HasSubstr("RNN: proj_size must be smaller than hidden_size (got proj_size 4, hidden_size 4)"));
  EXPECT_THAT(error_of([] { RNN({.mode = CellKind::augru, .input_size = 3, .hidden_size = 4}); }),
              HasSubstr("RNN: mode augru is a cell only (use AUGRUCell)"));
  EXPECT_THAT(error_of([] { RNN({.mode = CellKind::lstm, .input_size = 3, .hidden_size = 4, .dropout = 1.5}); }),
              HasSubstr("RNN: dropout must be in [0, 1], got 1.5"));
  EXPECT_THAT(error_of([] { RNN({.mode = CellKind::lstm, .input_size = 3, .hidden_size = 0}); }),
              HasSubstr("hidden_size and num_layers > 0 (got 3, 0, 1)"));
}

}  // namespace
}  // namespace attend::nn
