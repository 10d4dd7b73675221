// The tutorial's worked example, by hand: one query, three (key, value) pairs, every scorer.
//
//   q = [1, 2]
//   k1 = [1, 0]   v1 = [2, 0]
//   k2 = [0, 1]   v2 = [0, 2]
//   k3 = [1, 1]   v3 = [1, -1]
//
// For each scorer: the scores s_j, the softmax weights a_j = exp(s_j − max) / Z, and the output c = Σ_j a_j v_j,
// computed by hand in the comment next to each expectation (e^-1 = 0.367879441171, e^-2 = 0.135335283237,
// tanh 1 = 0.761594155956, tanh 2 = 0.964027580076).
#include <gtest/gtest.h>

#include <cmath>

#include "attend/nn/attention/additive_score.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/nn/attention/dot_score.hpp"
#include "attend/nn/attention/general_score.hpp"
#include "attend/nn/attention/mlp_score.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;

constexpr double kTol = 1e-6;

Tensor f64(std::vector<double> values, const Shape& shape) { return Tensor::from_vector(values, shape); }

struct Worked {
  Tensor scores, weights, context;
};

// The example through Scorer::score and attention(): q [1, 1, 2], keys [1, 3, 2], values [1, 3, 2].
Worked run(const Scorer& scorer) {
  const Var q(f64({1, 2}, {1, 1, 2}));
  const Var k(f64({1, 0, 0, 1, 1, 1}, {1, 3, 2}));
  const Var v(f64({2, 0, 0, 2, 1, -1}, {1, 3, 2}));
  const AttentionOutput out = attention(q, k, v, AttentionMask(), scorer);
  return {scorer.score(q, k).value(), out.weights.value(), out.context.value()};
}

void expect_example(const Worked& got, std::vector<double> scores, std::vector<double> weights,
                    std::vector<double> context) {
  EXPECT_TRUE(all_close(got.scores, f64(scores, {1, 1, 3}), kTol, 0.0)) << "scores";
  EXPECT_TRUE(all_close(got.weights, f64(weights, {1, 1, 3}), kTol, 0.0)) << "weights";
  EXPECT_TRUE(all_close(got.context, f64(context, {1, 1, 2}), kTol, 0.0)) << "context";
}

TEST(WorkedExample, Dot) {
  DotScore dot({.dim = 2, .scaled = false, .scale = std::nullopt});
  // s = q·k = [1·1 + 2·0, 1·0 + 2·1, 1·1 + 2·1] = [1, 2, 3]
  // Z = e^-2 + e^-1 + 1 = 1.503214724408; a = [e^-2, e^-1, 1] / Z = [0.090030573170, 0.244728471055, 0.665240955775]
  // c = 0.090031·[2, 0] + 0.244728·[0, 2] + 0.665241·[1, -1]
  //   = [0.180061146341 + 0.665240955775, 0.489456942110 − 0.665240955775] = [0.845302102116, −0.175784013665]
  expect_example(run(dot), {1, 2, 3}, {0.090030573170, 0.244728471055, 0.665240955775},
                 {0.845302102116, -0.175784013665});
}

TEST(WorkedExample, ScaledDot) {
  DotScore scaled({.dim = 2, .scaled = true, .scale = std::nullopt});
  // s = [1, 2, 3] / √2 = [0.707106781187, 1.414213562373, 2.121320343560]
  // a_j = exp(s_j − s_3) / Z: exp(−√2) = 0.243116734434, exp(−1/√2) = 0.493068691395, Z = 1.736185425829
  //   a = [0.140029245043, 0.283995409741, 0.575975345215]
  // c = [2·0.140029245 + 0.575975345, 2·0.283995410 − 0.575975345] = [0.856033835302, −0.007984525733]
  expect_example(run(scaled), {0.707106781187, 1.414213562373, 2.121320343560},
                 {0.140029245043, 0.283995409741, 0.575975345215}, {0.856033835302, -0.007984525733});
  // An explicit scale replaces 1/√dim: s = 0.5·[1, 2, 3], a = [e^-1, e^-0.5, 1] / (e^-1 + e^-0.5 + 1).
  DotScore halved({.dim = 2, .scaled = false, .scale = 0.5});
  const double z = std::exp(-1.0) + std::exp(-0.5) + 1.0;
  expect_example(run(halved), {0.5, 1, 1.5}, {std::exp(-1.0) / z, std::exp(-0.5) / z, 1 / z},
                 {2 * std::exp(-1.0) / z + 1 / z, 2 * std::exp(-0.5) / z - 1 / z});
}

TEST(WorkedExample, General) {
  GeneralScore general({.dim_query = 2, .dim_key = 2, .seed = 0});
  general.to(DType::f64);
  // W = [[0, 1], [1, 0]] swaps the query: W q = [2, 1].
  general.load_state_dict({{"linear_in.weight", f64({0, 1, 1, 0}, {2, 2})}});
  // s = (W q)·k = [2·1 + 1·0, 2·0 + 1·1, 2·1 + 1·1] = [2, 1, 3]
  // a = [e^-1, e^-2, 1] / Z (Z = 1.503214724408) = [0.244728471055, 0.090030573170, 0.665240955775]
  // c = [2·0.244728 + 0.665241, 2·0.090031 − 0.665241] = [1.154697897884, −0.485179809434]
  expect_example(run(general), {2, 1, 3}, {0.244728471055, 0.090030573170, 0.665240955775},
                 {1.154697897884, -0.485179809434});
}

TEST(WorkedExample, Additive) {
  AdditiveScore additive({.dim_query = 2, .dim_key = 2, .hidden = 2, .seed = 0});
  additive.to(DType::f64);
  // W_q = I, b_q = [0, −1], W_k = [[1, 0], [0, −1]], v = [1, 2].
  additive.load_state_dict({{"linear_query.weight", f64({1, 0, 0, 1}, {2, 2})},
                            {"linear_query.bias", f64({0, -1}, {2})},
                            {"linear_context.weight", f64({1, 0, 0, -1}, {2, 2})},
                            {"v.weight", f64({1, 2}, {1, 2})}});
  // W_q q + b_q = [1, 1]; W_k k = [1, 0], [0, −1], [1, −1]; sums [2, 1], [1, 0], [2, 0]
  // s = v·tanh(.) = [tanh 2 + 2 tanh 1, tanh 1 + 0, tanh 2 + 0] = [2.487215891987, 0.761594155956, 0.964027580076]
  // a_j = exp(s_j − s_1) / Z: exp(−1.725621736032) = 0.178062, exp(−1.523188311912) = 0.218015, Z = 1.396077
  //   a = [0.716292363703, 0.127544672627, 0.156162963669]
  // c = [2·0.716292 + 0.156163, 2·0.127545 − 0.156163] = [1.588747691076, 0.098926381585]
  expect_example(run(additive), {2.487215891987, 0.761594155956, 0.964027580076},
                 {0.716292363703, 0.127544672627, 0.156162963669}, {1.588747691076, 0.098926381585});
}

// W₁ = [[1, 0, 1, 0], [0, 1, 0, −1]] (acting on [q; k]), b₁ = [−2, 0], w₂ = [2, −1], b₂ = 0.5.
void load_mlp(MlpScore& mlp) {
  mlp.to(DType::f64);
  mlp.load_state_dict({{"fc1.weight", f64({1, 0, 1, 0, 0, 1, 0, -1}, {2, 4})},
                       {"fc1.bias", f64({-2, 0}, {2})},
                       {"fc2.weight", f64({2, -1}, {1, 2})},
                       {"fc2.bias", f64({0.5}, {1})}});
}

TEST(WorkedExample, MlpRelu) {
  MlpScore mlp({.dim_query = 2, .dim_key = 2, .hidden = 2, .activation = ScoreActivation::relu, .seed = 0});
  load_mlp(mlp);
  // W₁[q; k] + b₁ = [q1 + k1 − 2, q2 − k2] = [0, 2], [−1, 1], [0, 1]; relu: [0, 2], [0, 1], [0, 1]
  // s = 2·h1 − h2 + 0.5 = [−1.5, −0.5, −0.5]
  // a = [e^-1, 1, 1] / (2 + e^-1) = [0.155362403497, 0.422318798252, 0.422318798252]
  // c = [2·0.155362 + 0.422319, 2·0.422319 − 0.422319] = [0.733043605245, 0.422318798252]
  expect_example(run(mlp), {-1.5, -0.5, -0.5}, {0.155362403497, 0.422318798252, 0.422318798252},
                 {0.733043605245, 0.422318798252});
}

TEST(WorkedExample, MlpTanh) {
  MlpScore mlp({.dim_query = 2, .dim_key = 2, .hidden = 2, .activation = ScoreActivation::tanh, .seed = 0});
  load_mlp(mlp);
  // tanh of [0, 2], [−1, 1], [0, 1] = [0, tanh 2], [−tanh 1, tanh 1], [0, tanh 1]
  // s = 2·h1 − h2 + 0.5 = [0.5 − tanh 2, 0.5 − 3 tanh 1, 0.5 − tanh 1] = [−0.464027580076, −1.784782467867,
  //     −0.261594155956]
  // a_j = exp(s_j − s_3) / Z: exp(−0.202433424120) = 0.816743, exp(−1.523188311912) = 0.218015, Z = 2.034756531726
  //   a = [0.401394881056, 0.107145829143, 0.491459289801]
  // c = [2·0.401395 + 0.491459, 2·0.107146 − 0.491459] = [1.294249051912, −0.277167631514]
  expect_example(run(mlp), {-0.464027580076, -1.784782467867, -0.261594155956},
                 {0.401394881056, 0.107145829143, 0.491459289801}, {1.294249051912, -0.277167631514});
}

}  // namespace
}  // namespace attend::nn
