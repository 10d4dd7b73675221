// The whole-sequence GRU and LSTM ops (ops/recurrent_layer.hpp) against the step-by-step loop of the one-step ops
// (nn::recurrent_step) with the same running-rows rule: outputs, final states and every gradient agree in f32 and f64,
// forward and reverse, with and without lengths and bias; 1 and 2 threads give bitwise-equal results; bad shapes and
// running counts give errors naming them.
#include "attend/ops/recurrent_layer.hpp"

#include <gtest/gtest.h>

#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/nn/rnn/recurrent_cell.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using nn::CellKind;
using testing::all_close;
using testing::error_of;

struct Case {
  CellKind kind = CellKind::lstm;
  DType dtype = DType::f64;
  bool reverse = false, bias = true;
  std::vector<int64_t> running = {5, 5, 4, 2, 2, 1};  // T = 6, B = 5
};

struct LayerRun {
  std::vector<Tensor> values;  // y [T, B, H], h_n, c_n (LSTM)
  std::vector<Tensor> grads;   // gx, weight_hh, h0, bias_hh, c0 (LSTM)
};

// The reference: recurrent_step on the first running[t] rows, the others left as they are (0 output).
std::vector<Var> stepwise(const Case& c, const Var& gx, const Var& w, const Var& b, const Var& h0, const Var& c0) {
  const int64_t T = gx.size(0), B = gx.size(1), H = h0.size(1);
  const bool lstm = c.kind == CellKind::lstm;
  std::vector<Var> ys(static_cast<size_t>(T));
  Var h = h0, cs = c0;
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = c.reverse ? T - 1 - s : s, n = c.running[t];
    const Var zeros(Tensor::zeros({B - n, H}, gx.dtype()));
    if (n == 0) {
      ys[t] = zeros;
      continue;
    }
    const nn::RecurrentState in{narrow(h, 0, 0, n), lstm ? narrow(cs, 0, 0, n) : Var()};
    const nn::RecurrentState next = nn::recurrent_step(c.kind, narrow(select(gx, 0, t), 0, 0, n), in, {w, b, Var()});
    auto merge = [&](const Var& fresh, const Var& old) {
      return n == B ? fresh : concat({fresh, narrow(old, 0, n, B - n)}, 0);
    };
    ys[t] = n == B ? next.h : concat({next.h, zeros}, 0);
    h = merge(next.h, h);
    if (lstm) cs = merge(next.c, cs);
  }
  std::vector<Var> out{stack(ys, 0), h};
  if (lstm) out.push_back(cs);
  return out;
}

LayerRun run(const Case& c, bool fused) {
  Rng rng(33);
  const int64_t T = static_cast<int64_t>(c.running.size()), B = 5, H = 7, G = nn::gate_count(c.kind);
  const bool lstm = c.kind == CellKind::lstm;
  Var gx(Tensor::randn({T, B, G * H}, rng, c.dtype), true);
  Var w(Tensor::randn({G * H, H}, rng, c.dtype, 0.0, 0.4), true);
  Var b = c.bias ? Var(Tensor::randn({G * H}, rng, c.dtype), true) : Var();
  Var h0(Tensor::randn({B, H}, rng, c.dtype), true);
  Var c0 = lstm ? Var(Tensor::randn({B, H}, rng, c.dtype), true) : Var();
  std::vector<Var> out;
  if (fused) {
    const Var all =
        lstm ? lstm_layer(gx, w, b, h0, c0, c.running, c.reverse) : gru_layer(gx, w, b, h0, c.running, c.reverse);
    out = {narrow(all, 0, 0, T), select(all, 0, T)};
    if (lstm) out.push_back(select(all, 0, T + 1));
  } else {
    out = stepwise(c, gx, w, b, h0, c0);
  }
  Var loss;
  LayerRun r;
  for (const Var& v : out) {
    const Var term = sum(mul(v, Var(Tensor::randn(v.shape(), rng, c.dtype))));
    loss = loss.defined() ? add(loss, term) : term;
    r.values.push_back(v.value());
  }
  loss.backward();
  r.grads = {gx.grad(), w.grad(), h0.grad()};
  if (c.bias) r.grads.push_back(b.grad());
  if (lstm) r.grads.push_back(c0.grad());
  return r;
}

void expect_agree(const Case& c, double tol) {
  const LayerRun fused = run(c, true), reference = run(c, false);
  ASSERT_EQ(fused.values.size(), reference.values.size());
  for (size_t i = 0; i < fused.values.size(); ++i)
    EXPECT_TRUE(all_close(fused.values[i], reference.values[i], tol, tol)) << "value " << i;
  ASSERT_EQ(fused.grads.size(), reference.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    ASSERT_TRUE(fused.grads[i].defined()) << "grad " << i;
    EXPECT_TRUE(all_close(fused.grads[i], reference.grads[i], tol, tol)) << "grad " << i;
  }
}

class RecurrentLayer : public ::testing::TestWithParam<CellKind> {};

TEST_P(RecurrentLayer, MatchesStepsForwardWithLengths) { expect_agree({.kind = GetParam()}, 1e-10); }

TEST_P(RecurrentLayer, MatchesStepsReverseWithLengths) { expect_agree({.kind = GetParam(), .reverse = true}, 1e-10); }

TEST_P(RecurrentLayer, MatchesStepsWithoutLengthsOrBias) {
  expect_agree({.kind = GetParam(), .bias = false, .running = {5, 5, 5, 5}}, 1e-10);
  expect_agree({.kind = GetParam(), .reverse = true, .bias = false, .running = {5, 5, 5, 5}}, 1e-10);
}

TEST_P(RecurrentLayer, MatchesStepsInFloat) {
  expect_agree({.kind = GetParam(), .dtype = DType::f32}, 1e-5);
  expect_agree({.kind = GetParam(), .dtype = DType::f32, .reverse = true}, 1e-5);
}

TEST_P(RecurrentLayer, StepsWithNoRowRunningOutputZero) {
  const Case c{.kind = GetParam(), .running = {3, 0, 0}};
  expect_agree(c, 1e-10);
  const LayerRun r = run(c, true);
  EXPECT_TRUE(testing::bitwise_equal(r.values[0].select(0, 2), Tensor::zeros({5, 7}, DType::f64)));
}

TEST_P(RecurrentLayer, BitwiseEqualOnOneAndTwoThreads) {
  const int before = num_threads();
  // Large enough for the row loops and GEMM panels to split.
  Rng rng(5);
  const bool lstm = GetParam() == CellKind::lstm;
  const int64_t T = 4, B = 64, H = 96, G = nn::gate_count(GetParam());
  Var gx(Tensor::randn({T, B, G * H}, rng), true), w(Tensor::randn({G * H, H}, rng, DType::f32, 0.0, 0.1), true);
  Var b(Tensor::randn({G * H}, rng), true), h0(Tensor::randn({B, H}, rng), true), c0(Tensor::randn({B, H}, rng), true);
  const Tensor weight = Tensor::randn({T + (lstm ? 2 : 1), B, H}, rng);
  auto once = [&](int threads) {
    set_num_threads(threads);
    for (Var* v : {&gx, &w, &b, &h0, &c0}) v->zero_grad();
    const std::vector<int64_t> running{64, 60, 33, 7};
    const Var all = lstm ? lstm_layer(gx, w, b, h0, c0, running, false) : gru_layer(gx, w, b, h0, running, false);
    sum(mul(all, Var(weight))).backward();
    return std::vector<Tensor>{all.value(), gx.grad(), w.grad(), b.grad(), h0.grad()};
  };
  const std::vector<Tensor> one = once(1), two = once(2);
  set_num_threads(before);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(testing::bitwise_equal(one[i], two[i])) << "tensor " << i;
}

INSTANTIATE_TEST_SUITE_P(Cells, RecurrentLayer, ::testing::Values(CellKind::gru, CellKind::lstm),
                         [](const auto& p) { return std::string(nn::cell_kind_name(p.param)); });

TEST(RecurrentLayerErrors, NameTheArgumentAndShapes) {
  const Var gx(Tensor::zeros({3, 2, 12})), w(Tensor::zeros({12, 3})), h0(Tensor::zeros({2, 3})),
      c0(Tensor::zeros({2, 3}));
  const std::vector<int64_t> run3{2, 2, 1};
  EXPECT_EQ(error_of([&] { lstm_layer(gx, w, Var(), h0, c0, run3, false); }), "(no attend::Error thrown)");
  EXPECT_NE(error_of([&] { gru_layer(gx, w, Var(), h0, run3, false); }).find("gru_layer: weight_hh must be [3·H, H]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              lstm_layer(gx, w, Var(), Var(Tensor::zeros({3, 3})), c0, run3, false);
            }).find("lstm_layer: h0 must be [B, H] = [2, 3]; h0 shape [3, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { lstm_layer(gx, w, Var(), h0, Var(), run3, false); }).find("c0 must be [B, H] = [2, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              lstm_layer(gx, w, Var(Tensor::zeros({5})), h0, c0, run3, false);
            }).find("bias_hh must be [12]; bias_hh shape [5]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              lstm_layer(gx, w, Var(), h0, c0, {2, 2}, false);
            }).find("running must have one entry per time step (T = 3), got 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              lstm_layer(gx, w, Var(), h0, c0, {2, 3, 1}, false);
            }).find("running[1] = 3 must be in [0, B]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              lstm_layer(gx, w, Var(), h0, c0, {1, 2, 1}, false);
            }).find("running must be non-increasing in t"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              lstm_layer(Var(Tensor::zeros({3, 2, 10})), w, Var(), h0, c0, run3, false);
            }).find("gx must be [T, B, 12]"),
            std::string::npos);
}

}  // namespace
}  // namespace attend
