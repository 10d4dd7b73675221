// Sgd: the update rule by hand (plain, momentum, dampening, Nesterov, weight decay), state save/restore, errors.
// Parity with torch.optim.SGD over 10 steps is in torch_optim_test.cpp.
#include "attend/optim/sgd.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.hpp"

namespace attend::optim {
namespace {

using attend::testing::all_close;
using attend::testing::bitwise_equal;
using attend::testing::error_of;
using ::testing::HasSubstr;

Tensor f32(std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<float>(v, {n});
}

std::vector<Var> make_parameters() {
  std::vector<Var> ps;
  std::vector<float> a(6), b(5);
  for (size_t k = 0; k < a.size(); ++k) a[k] = 0.5f * std::sin(1.0f + 0.7f * static_cast<float>(k));
  for (size_t k = 0; k < b.size(); ++k) b[k] = 0.3f * std::cos(2.0f + 1.3f * static_cast<float>(k));
  ps.emplace_back(Tensor::from_vector<float>(a, {2, 3}), true);
  ps.emplace_back(Tensor::from_vector<float>(b, {5}), true);
  return ps;
}

// The gradients of step t (1-based): fixed values that depend on t.
void set_gradients(const std::vector<Var>& ps, int t) {
  for (size_t j = 0; j < ps.size(); ++j) {
    std::vector<float> g(static_cast<size_t>(ps[j].numel()));
    for (size_t k = 0; k < g.size(); ++k) g[k] = std::cos(0.3f * static_cast<float>(k) + 0.9f * t + j) * 0.7f;
    ps[j].set_grad(Tensor::from_vector<float>(g, ps[j].shape()));
  }
}

TEST(SgdOptimizer, PlainStepIsLrTimesGradient) {
  Var p(f32({1.0f, -2.0f, 0.5f}), true);
  Sgd sgd({p}, {.lr = 0.1});
  p.set_grad(f32({3.0f, -1.0f, 0.0f}));
  sgd.step();
  EXPECT_TRUE(all_close(p.value(), f32({0.7f, -1.9f, 0.5f}), 1e-7, 0.0));
  EXPECT_TRUE(sgd.state_dict().empty());  // no momentum, no state
}

TEST(SgdOptimizer, MomentumBufferStartsAtTheGradientThenDampens) {
  // Step 1: b = g1; step 2: b = μ b + (1 − d) g2; p moves by lr · b each time.
  Var p(f32({1.0f, 2.0f}), true);
  Sgd sgd({p}, {.lr = 0.5, .momentum = 0.9, .dampening = 0.25});
  p.set_grad(f32({1.0f, -2.0f}));
  sgd.step();
  EXPECT_TRUE(all_close(p.value(), f32({0.5f, 3.0f}), 1e-7, 0.0));  // no dampening on the first step
  p.set_grad(f32({2.0f, 4.0f}));
  sgd.step();
  // b = 0.9·[1, −2] + 0.75·[2, 4] = [2.4, 1.2]
  EXPECT_TRUE(all_close(sgd.state_dict().at("state.0.momentum_buffer"), f32({2.4f, 1.2f}), 1e-6, 0.0));
  EXPECT_TRUE(all_close(p.value(), f32({0.5f - 1.2f, 3.0f - 0.6f}), 1e-6, 0.0));
}

TEST(SgdOptimizer, NesterovAndWeightDecay) {
  // g' = g + wd·p; b = g' (first step); update = g' + μ b = (1 + μ) g'.
  Var p(f32({2.0f, -1.0f}), true);
  Sgd sgd({p}, {.lr = 0.1, .momentum = 0.5, .weight_decay = 0.1, .nesterov = true});
  p.set_grad(f32({1.0f, 1.0f}));
  sgd.step();
  const float g0 = 1.0f + 0.2f, g1 = 1.0f - 0.1f;
  EXPECT_TRUE(all_close(p.value(), f32({2.0f - 0.1f * 1.5f * g0, -1.0f - 0.1f * 1.5f * g1}), 1e-6, 0.0));
  // Step 2: g'' = g + wd·p1; b = μ b + g''; update = g'' + μ b.
  const std::vector<float> p1 = p.value().to_vector<float>();
  p.set_grad(f32({-1.0f, 0.5f}));
  sgd.step();
  const double q0 = -1.0 + 0.1 * p1[0], q1 = 0.5 + 0.1 * p1[1];
  const double b0 = 0.5 * g0 + q0, b1 = 0.5 * g1 + q1;
  EXPECT_TRUE(all_close(p.value(), f32({static_cast<float>(p1[0] - 0.1 * (q0 + 0.5 * b0)),
                                        static_cast<float>(p1[1] - 0.1 * (q1 + 0.5 * b1))}),
                        1e-6, 0.0));
}

TEST(SgdOptimizer, F64ParametersAreUpdatedInF64) {
  Var p(Tensor::from_vector<double>({1.0, 1e-9}, {2}), true);
  Sgd sgd({p}, {.lr = 1e-3});
  p.set_grad(Tensor::from_vector<double>({1e-7, 1.0}, {2}));
  sgd.step();
  const auto v = p.value().to_vector<double>();
  EXPECT_DOUBLE_EQ(v[0], 1.0 - 1e-10);
  EXPECT_DOUBLE_EQ(v[1], 1e-9 - 1e-3);
}

TEST(SgdOptimizer, UpdatesAStridedParameterThroughItsView) {
  Tensor base = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Var p(base.transpose(0, 1), true);  // [3, 2], not contiguous
  Sgd sgd({p}, {.lr = 1.0});
  p.set_grad(Tensor::ones({3, 2}));
  sgd.step();
  EXPECT_TRUE(all_close(base, Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {2, 3}), 0.0, 0.0));
}

TEST(SgdOptimizer, SkipsParametersWithoutGradientAndCreatesNoStateForThem) {
  std::vector<Var> ps = make_parameters();
  Sgd sgd(ps, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.5});
  const Tensor before = ps[1].value().clone();
  ps[0].set_grad(Tensor::ones({2, 3}));
  sgd.step();
  EXPECT_TRUE(bitwise_equal(ps[1].value(), before));  // no weight decay either without a gradient
  const auto state = sgd.state_dict();
  EXPECT_EQ(state.size(), 1u);
  EXPECT_TRUE(state.contains("state.0.momentum_buffer"));
}

TEST(SgdOptimizer, StateDictResumesBitwise) {
  // 10 steps straight == 5 steps, state saved, a fresh optimizer loads it, 5 more steps.
  const SgdOptions configurations[] = {
      {.lr = 0.05, .momentum = 0.9},
      {.lr = 0.05, .momentum = 0.8, .weight_decay = 0.01, .nesterov = true},
      {.lr = 0.1, .momentum = 0.7, .dampening = 0.3, .weight_decay = 0.02},
  };
  for (const SgdOptions& options : configurations) {
    std::vector<Var> straight = make_parameters();
    Sgd a(straight, options);
    for (int t = 1; t <= 10; ++t) {
      set_gradients(straight, t);
      a.step();
    }
    std::vector<Var> resumed = make_parameters();
    std::map<std::string, Tensor> saved;
    {
      Sgd b(resumed, options);
      for (int t = 1; t <= 5; ++t) {
        set_gradients(resumed, t);
        b.step();
      }
      saved = b.state_dict();
    }
    ASSERT_EQ(saved.size(), 2u);
    Sgd c(resumed, options);
    c.load_state_dict(saved);
    for (int t = 6; t <= 10; ++t) {
      set_gradients(resumed, t);
      c.step();
    }
    for (size_t j = 0; j < straight.size(); ++j) EXPECT_TRUE(bitwise_equal(straight[j].value(), resumed[j].value()));
    // Without the state the run differs: the test would notice a load that did nothing.
    std::vector<Var> fresh = make_parameters();
    Sgd d(fresh, options);
    for (int t = 6; t <= 10; ++t) {
      set_gradients(fresh, t);
      d.step();
    }
    EXPECT_FALSE(bitwise_equal(fresh[0].value(), resumed[0].value()));
  }
}

TEST(SgdOptimizer, LoadedF64StateIsConvertedToTheParameterDtype) {
  Var p(f32({1.0f, 1.0f}), true);
  Sgd sgd({p}, {.lr = 1.0, .momentum = 0.5});
  sgd.load_state_dict({{"state.0.momentum_buffer", Tensor::from_vector<double>({2.0, 4.0}, {2})}});
  p.set_grad(f32({1.0f, 0.0f}));
  sgd.step();  // b = 0.5·[2, 4] + [1, 0] = [2, 2]
  EXPECT_EQ(sgd.state_dict().at("state.0.momentum_buffer").dtype(), DType::f32);
  EXPECT_TRUE(all_close(p.value(), f32({-1.0f, -1.0f}), 0.0, 0.0));
}

TEST(SgdOptimizer, LoadStateDictRejectsBadStateAndChangesNothing) {
  std::vector<Var> ps = make_parameters();
  Sgd sgd(ps, {.lr = 0.1, .momentum = 0.9});
  set_gradients(ps, 1);
  sgd.step();
  const auto good = sgd.state_dict();
  ASSERT_EQ(good.size(), 2u);
  auto bad_shape = good;
  bad_shape["state.1.momentum_buffer"] = Tensor::zeros({4});
  EXPECT_THAT(error_of([&] { sgd.load_state_dict(bad_shape); }),
              HasSubstr("Sgd::load_state_dict: 'state.1.momentum_buffer' has shape [4] but parameter 1 has shape [5]"));
  auto unknown = good;
  unknown["state.0.exp_avg"] = Tensor::zeros({2, 3});
  EXPECT_THAT(error_of([&] { sgd.load_state_dict(unknown); }),
              HasSubstr("unknown state 'state.0.exp_avg' (expected momentum_buffer)"));
  auto out_of_range = good;
  out_of_range["state.2.momentum_buffer"] = Tensor::zeros({5});
  EXPECT_THAT(error_of([&] { sgd.load_state_dict(out_of_range); }),
              HasSubstr("'state.2.momentum_buffer' names parameter 2, but the optimizer has 2 parameters"));
  auto wrong_dtype = good;
  wrong_dtype["state.1.momentum_buffer"] = Tensor::zeros({5}, DType::i64);
  EXPECT_THAT(error_of([&] { sgd.load_state_dict(wrong_dtype); }),
              HasSubstr("'state.1.momentum_buffer' must be f32 or f64, got i64"));
  auto undefined = good;
  undefined["state.1.momentum_buffer"] = Tensor();
  EXPECT_THAT(error_of([&] { sgd.load_state_dict(undefined); }), HasSubstr("'state.1.momentum_buffer' is undefined"));
  EXPECT_THAT(error_of([&] { sgd.load_state_dict({{"state.x.momentum_buffer", Tensor::zeros({5})}}); }),
              HasSubstr("state key 'state.x.momentum_buffer' has a parameter index that is not a number"));
  EXPECT_THAT(error_of([&] { sgd.load_state_dict({{"momentum_buffer", Tensor::zeros({5})}}); }),
              HasSubstr("state key 'momentum_buffer' is not of the form state.<index>.<name>"));
  const auto after = sgd.state_dict();
  ASSERT_EQ(after.size(), good.size());
  for (const auto& [k, v] : good) EXPECT_TRUE(bitwise_equal(after.at(k), v)) << k;
}

TEST(SgdOptimizer, WithoutMomentumAnyStateIsRejected) {
  std::vector<Var> ps = make_parameters();
  Sgd sgd(ps, {.lr = 0.1});
  EXPECT_THAT(error_of([&] { sgd.load_state_dict({{"state.0.momentum_buffer", Tensor::zeros({2, 3})}}); }),
              HasSubstr("unknown state 'state.0.momentum_buffer' (this Sgd has momentum 0 and keeps no state)"));
  sgd.load_state_dict({});  // an empty state is fine
  EXPECT_TRUE(sgd.state_dict().empty());
}

TEST(SgdOptimizer, BadOptionsNameTheOption) {
  std::vector<Var> ps = make_parameters();
  EXPECT_THAT(error_of([&] { Sgd(ps, {.lr = -0.1}); }), HasSubstr("Sgd: lr must be a finite non-negative number"));
  EXPECT_THAT(error_of([&] { Sgd(ps, {.lr = NAN}); }), HasSubstr("Sgd: lr must be a finite non-negative number"));
  EXPECT_THAT(error_of([&] { Sgd(ps, {.momentum = -0.9}); }),
              HasSubstr("Sgd: momentum must be a finite non-negative number, got -0.9"));
  EXPECT_THAT(error_of([&] { Sgd(ps, {.dampening = INFINITY}); }), HasSubstr("Sgd: dampening must be a finite number"));
  EXPECT_THAT(error_of([&] { Sgd(ps, {.weight_decay = -1.0}); }),
              HasSubstr("Sgd: weight_decay must be a finite non-negative number, got -1"));
  EXPECT_THAT(error_of([&] { Sgd(ps, {.nesterov = true}); }),
              HasSubstr("Sgd: nesterov needs momentum > 0 and dampening 0, got momentum 0 and dampening 0"));
  EXPECT_THAT(error_of([&] { Sgd(ps, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}); }),
              HasSubstr("got momentum 0.9 and dampening 0.1"));
}

TEST(SgdOptimizer, GradientOfTheWrongDtypeIsNamed) {
  Var p(Tensor::zeros({2, 2}), true);
  Sgd sgd({p});
  p.set_grad(Tensor::zeros({2, 2}, DType::f64));
  EXPECT_THAT(error_of([&] { sgd.step(); }),
              HasSubstr("Sgd: the gradient of parameter 0 must match it (parameter f32 [2, 2], gradient f64 [2, 2])"));
}

}  // namespace
}  // namespace attend::optim
