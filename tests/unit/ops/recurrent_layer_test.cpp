// The whole-sequence GRU and LSTM ops (ops/recurrent_layer.hpp) against the step-by-step loop of the one-step ops
// (nn::recurrent_step) with the same running-rows rule: outputs, final states and every gradient agree in f32 and f64,
// one and two directions, with and without lengths and bias; 1 and 2 threads give bitwise-equal results; bad shapes and
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
  int64_t dirs = 1;  // 2: direction 1 runs backwards in time
  bool bias = true;
  std::vector<int64_t> running = {5, 5, 4, 2, 2, 1};  // T = 6, B = 5
};

struct LayerRun {
  std::vector<Tensor> values;  // y [T, B, D·H], h_n, c_n (LSTM) [B, D·H]
  std::vector<Tensor> grads;   // gx, then per direction weight_hh, h0, bias_hh, c0 (LSTM)
};

// The reference for one direction: recurrent_step on the first running[t] rows, the others left as they are (0
// output). Returns y [T, B, H], h_n (, c_n).
std::vector<Var> stepwise(const Case& c, bool reverse, const Var& gx, const Var& w, const Var& b, const Var& h0,
                          const Var& c0) {
  const int64_t T = gx.size(0), B = gx.size(1), H = h0.size(1);
  const bool lstm = c.kind == CellKind::lstm;
  std::vector<Var> ys(static_cast<size_t>(T));
  Var h = h0, cs = c0;
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = reverse ? T - 1 - s : s, n = c.running[t];
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
  std::vector<Var> out;
  out.push_back(stack(ys, 0));
  out.push_back(h);
  if (lstm) out.push_back(cs);
  return out;
}

LayerRun run(const Case& c, bool fused) {
  Rng rng(33);
  const int64_t T = static_cast<int64_t>(c.running.size()), B = 5, H = 7, G = nn::gate_count(c.kind), D = c.dirs;
  const bool lstm = c.kind == CellKind::lstm;
  Var gx(Tensor::randn({T, B, D * G * H}, rng, c.dtype), true);
  std::vector<Var> w, b, h0, c0;
  for (int64_t d = 0; d < D; ++d) {
    w.emplace_back(Tensor::randn({G * H, H}, rng, c.dtype, 0.0, 0.4), true);
    if (c.bias) b.emplace_back(Tensor::randn({G * H}, rng, c.dtype), true);
    h0.emplace_back(Tensor::randn({B, H}, rng, c.dtype), true);
    if (lstm) c0.emplace_back(Tensor::randn({B, H}, rng, c.dtype), true);
  }
  std::vector<Var> out;
  if (fused) {
    const Var all = lstm ? lstm_layer(gx, w, b, h0, c0, c.running) : gru_layer(gx, w, b, h0, c.running);
    out.push_back(narrow(all, 0, 0, T));
    out.push_back(select(all, 0, T));
    if (lstm) out.push_back(select(all, 0, T + 1));
  } else {  // each direction alone, then side by side
    std::vector<std::vector<Var>> parts(lstm ? 3 : 2);
    for (int64_t d = 0; d < D; ++d) {
      const std::vector<Var> one = stepwise(c, d == 1, narrow(gx, 2, d * G * H, G * H), w[d], c.bias ? b[d] : Var(),
                                            h0[d], lstm ? c0[d] : Var());
      for (size_t i = 0; i < parts.size(); ++i) parts[i].push_back(one[i]);
    }
    for (size_t i = 0; i < parts.size(); ++i) out.push_back(concat(parts[i], i == 0 ? 2 : 1));
  }
  Var loss;
  LayerRun r;
  for (const Var& v : out) {
    const Var term = sum(mul(v, Var(Tensor::randn(v.shape(), rng, c.dtype))));
    loss = loss.defined() ? add(loss, term) : term;
    r.values.push_back(v.value());
  }
  loss.backward();
  r.grads = {gx.grad()};
  for (int64_t d = 0; d < D; ++d) {
    r.grads.push_back(w[d].grad());
    r.grads.push_back(h0[d].grad());
    if (c.bias) r.grads.push_back(b[d].grad());
    if (lstm) r.grads.push_back(c0[d].grad());
  }
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

TEST_P(RecurrentLayer, MatchesStepsBothDirectionsWithLengths) { expect_agree({.kind = GetParam(), .dirs = 2}, 1e-10); }

TEST_P(RecurrentLayer, MatchesStepsWithoutLengthsOrBias) {
  expect_agree({.kind = GetParam(), .bias = false, .running = {5, 5, 5, 5}}, 1e-10);
  expect_agree({.kind = GetParam(), .dirs = 2, .bias = false, .running = {5, 5, 5, 5}}, 1e-10);
}

TEST_P(RecurrentLayer, MatchesStepsInFloat) {
  expect_agree({.kind = GetParam(), .dtype = DType::f32}, 1e-5);
  expect_agree({.kind = GetParam(), .dtype = DType::f32, .dirs = 2}, 1e-5);
}

TEST_P(RecurrentLayer, StepsWithNoRowRunningOutputZero) {
  const Case c{.kind = GetParam(), .running = {3, 0, 0}};
  expect_agree(c, 1e-10);
  const LayerRun r = run(c, true);
  EXPECT_TRUE(testing::bitwise_equal(r.values[0].select(0, 2), Tensor::zeros({5, 7}, DType::f64)));
}

// One direction splits its hidden units (every gate's columns of them) over two threads, H = 96 unevenly (64 | 32); two
// directions run side by side, one per thread.
TEST_P(RecurrentLayer, BitwiseEqualOnOneAndTwoThreads) {
  const int before = num_threads();
  Rng rng(5);
  const bool lstm = GetParam() == CellKind::lstm;
  const int64_t T = 4, B = 64, H = 96, G = nn::gate_count(GetParam());  // large enough for the loops to split
  for (int64_t D : {1, 2}) {
    Var gx(Tensor::randn({T, B, D * G * H}, rng), true);
    std::vector<Var> w, b, h0, c0;
    for (int64_t d = 0; d < D; ++d) {
      w.emplace_back(Tensor::randn({G * H, H}, rng, DType::f32, 0.0, 0.1), true);
      b.emplace_back(Tensor::randn({G * H}, rng), true);
      h0.emplace_back(Tensor::randn({B, H}, rng), true);
      c0.emplace_back(Tensor::randn({B, H}, rng), true);
    }
    const Tensor weight = Tensor::randn({T + (lstm ? 2 : 1), B, D * H}, rng);
    auto once = [&](int threads) {
      set_num_threads(threads);
      std::vector<Var> all_inputs{gx};  // those that get a gradient: c0 only for LSTM
      for (const auto* group : {&w, &b, &h0, &c0})
        if (lstm || group != &c0) all_inputs.insert(all_inputs.end(), group->begin(), group->end());
      for (const Var& v : all_inputs) v.zero_grad();
      const std::vector<int64_t> running{64, 60, 33, 7};
      const Var all = lstm ? lstm_layer(gx, w, b, h0, c0, running) : gru_layer(gx, w, b, h0, running);
      sum(mul(all, Var(weight))).backward();
      std::vector<Tensor> got{all.value()};
      for (const Var& v : all_inputs) got.push_back(v.grad());
      return got;
    };
    const std::vector<Tensor> one = once(1), two = once(2);
    set_num_threads(before);
    ASSERT_EQ(one.size(), two.size());
    for (size_t i = 0; i < one.size(); ++i)
      EXPECT_TRUE(testing::bitwise_equal(one[i], two[i])) << "D " << D << ", tensor " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, RecurrentLayer, ::testing::Values(CellKind::gru, CellKind::lstm),
                         [](const auto& p) { return std::string(nn::cell_kind_name(p.param)); });

TEST(RecurrentLayerErrors, NameTheArgumentAndShapes) {
  const Var gx(Tensor::zeros({3, 2, 12})), w(Tensor::zeros({12, 3})), h0(Tensor::zeros({2, 3})),
      c0(Tensor::zeros({2, 3}));
  const std::vector<int64_t> run3{2, 2, 1};
  auto lstm_error = [&](const Var& x, const std::vector<Var>& ws, const std::vector<Var>& bs,
                        const std::vector<Var>& hs, const std::vector<Var>& cs, const std::vector<int64_t>& running) {
    return error_of([&] { lstm_layer(x, ws, bs, hs, cs, running); });
  };
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos ? ::testing::AssertionSuccess()
                                                    : ::testing::AssertionFailure() << message;
  };
  EXPECT_EQ(lstm_error(gx, {w}, {}, {h0}, {c0}, run3), "(no attend::Error thrown)");
  EXPECT_TRUE(has(error_of([&] { gru_layer(gx, {w}, {}, {h0}, run3); }), "gru_layer: weight_hh[0] must be [3·H, H]"));
  EXPECT_TRUE(has(lstm_error(gx, {}, {}, {}, {}, run3), "weight_hh must hold 1 or 2 directions, got 0"));
  EXPECT_TRUE(has(lstm_error(gx, {w}, {}, {Var(Tensor::zeros({3, 3}))}, {c0}, run3),
                  "lstm_layer: h0[0] must be [B, H] = [2, 3]; h0[0] shape [3, 3]"));
  EXPECT_TRUE(has(lstm_error(gx, {w}, {}, {h0}, {}, run3), "c0 must hold one state per direction (1), got 0"));
  EXPECT_TRUE(has(lstm_error(gx, {w}, {Var(Tensor::zeros({5}))}, {h0}, {c0}, run3),
                  "bias_hh[0] must be [12]; bias_hh[0] shape [5]"));
  EXPECT_TRUE(has(lstm_error(gx, {w, w}, {}, {h0, h0}, {c0, c0}, run3), "gx must be [T, B, 24] (D·4·H with D = 2"));
  EXPECT_TRUE(has(lstm_error(gx, {w}, {}, {h0}, {c0}, {2, 2}), "running must have one entry per time step (T = 3), got 2"));
  EXPECT_TRUE(has(lstm_error(gx, {w}, {}, {h0}, {c0}, {2, 3, 1}), "running[1] = 3 must be in [0, B]"));
  EXPECT_TRUE(has(lstm_error(gx, {w}, {}, {h0}, {c0}, {1, 2, 1}), "running must be non-increasing in t"));
  EXPECT_TRUE(has(lstm_error(gx, {w}, {}, {Var(Tensor::zeros({2, 3}, DType::f64))}, {c0}, run3),
                  "must have one dtype (gx is f32)"));
}

}  // namespace
}  // namespace attend
