// The fused GRU and LSTM gates (ops/recurrent_gates.hpp) against the composite step (recurrent_step_composite):
// values and every gradient agree, in f32 and f64; shapes are checked with named errors.
#include "attend/ops/recurrent_gates.hpp"

#include <gtest/gtest.h>

#include "attend/core/rng.hpp"
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

struct StepRun {
  std::vector<Tensor> values;  // h', c' (LSTM)
  std::vector<Tensor> grads;   // gx, h, c (LSTM), weight_hh, bias_hh
};

// One step of `kind` with B = 5, H = 7 (not a multiple of the vector width), fused or composite, then backward of a
// random weighting of every output.
StepRun run_step(CellKind kind, DType dtype, bool fused) {
  Rng rng(21);
  const int64_t B = 5, H = 7, G = nn::gate_count(kind);
  Var gx(Tensor::randn({B, G * H}, rng, dtype), true);
  Var h(Tensor::randn({B, H}, rng, dtype), true);
  Var c(Tensor::randn({B, H}, rng, dtype), true);
  Var w(Tensor::randn({G * H, H}, rng, dtype, 0.0, 0.4), true);
  Var bias(Tensor::randn({G * H}, rng, dtype), true);
  const nn::RecurrentState state{h, kind == CellKind::lstm ? c : Var()};
  const nn::StepWeights weights{w, bias, Var()};
  const nn::RecurrentState next = fused ? nn::recurrent_step(kind, gx, state, weights)
                                        : nn::recurrent_step_composite(kind, gx, state, weights);
  Var loss = sum(mul(next.h, Var(Tensor::randn({B, H}, rng, dtype))));
  if (next.c.defined()) loss = add(loss, sum(mul(next.c, Var(Tensor::randn({B, H}, rng, dtype)))));
  loss.backward();
  StepRun run;
  run.values.push_back(next.h.value());
  if (next.c.defined()) run.values.push_back(next.c.value());
  run.grads = {gx.grad(), h.grad(), w.grad(), bias.grad()};
  if (kind == CellKind::lstm) run.grads.push_back(c.grad());
  return run;
}

void expect_agree(CellKind kind, DType dtype, double tol) {
  const StepRun fused = run_step(kind, dtype, true), composite = run_step(kind, dtype, false);
  ASSERT_EQ(fused.values.size(), composite.values.size());
  for (size_t i = 0; i < fused.values.size(); ++i) {
    EXPECT_TRUE(all_close(fused.values[i], composite.values[i], tol, tol)) << "value " << i;
  }
  ASSERT_EQ(fused.grads.size(), composite.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    ASSERT_TRUE(fused.grads[i].defined()) << "grad " << i;
    EXPECT_TRUE(all_close(fused.grads[i], composite.grads[i], tol, tol)) << "grad " << i;
  }
}

TEST(RecurrentGates, GruFusedEqualsCompositeF64) { expect_agree(CellKind::gru, DType::f64, 1e-12); }
TEST(RecurrentGates, GruFusedEqualsCompositeF32) { expect_agree(CellKind::gru, DType::f32, 1e-6); }
TEST(RecurrentGates, LstmFusedEqualsCompositeF64) { expect_agree(CellKind::lstm, DType::f64, 1e-12); }
TEST(RecurrentGates, LstmFusedEqualsCompositeF32) { expect_agree(CellKind::lstm, DType::f32, 1e-6); }

TEST(RecurrentGates, LargeBatchTakesTheParallelPathWithTheSameResult) {
  Rng rng(3);
  const Var gx(Tensor::randn({256, 3 * 160}, rng)), gh(Tensor::randn({256, 3 * 160}, rng));
  const Var h(Tensor::randn({256, 160}, rng));
  const Tensor fused = gru_gates(gx, gh, h).value();
  // Row 200 by the formula, element by element.
  for (int64_t j = 0; j < 160; j += 17) {
    const double x_r = gx.value().at({200, j}), x_z = gx.value().at({200, 160 + j}), x_n = gx.value().at({200, 320 + j});
    const double g_r = gh.value().at({200, j}), g_z = gh.value().at({200, 160 + j}), g_n = gh.value().at({200, 320 + j});
    const double r = 1 / (1 + std::exp(-(x_r + g_r))), z = 1 / (1 + std::exp(-(x_z + g_z)));
    const double n = std::tanh(x_n + r * g_n), hp = h.value().at({200, j});
    EXPECT_NEAR(fused.at({200, j}), (1 - z) * n + z * hp, 2e-6) << j;
  }
}

TEST(RecurrentGates, ShapeErrorsNameTheArgument) {
  const Var gx(Tensor::zeros({2, 9})), gh(Tensor::zeros({2, 9})), h(Tensor::zeros({2, 3}));
  EXPECT_NE(error_of([&] { gru_gates(Var(Tensor::zeros({2, 8})), gh, h); }).find("gx must be [B, 3·H] = [2, 9]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { gru_gates(gx, Var(Tensor::zeros({3, 9})), h); }).find("gh shape [3, 9]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { gru_gates(gx, gh, Var(Tensor::zeros({6}))); }).find("h must be [B, H]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { lstm_gates(gx, gh, h); }).find("lstm_gates: gx must be [B, 4·H] = [2, 12]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { gru_gates(gx, gh, Var(Tensor::zeros({2, 3}, DType::f64))); }).find("different dtypes"),
            std::string::npos);
}

}  // namespace
}  // namespace attend
