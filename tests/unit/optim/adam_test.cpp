// Adam / AdamW against torch.optim: 10 steps on the same parameters and gradients give the same parameters.
#include "attend/optim/adam.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "attend/core/threads.hpp"
#include "attend/tensor/elementwise.hpp"
#include "test_util.hpp"

namespace attend::optim {
namespace {

using attend::testing::all_close;
using attend::testing::bitwise_equal;
using attend::testing::error_of;
using ::testing::HasSubstr;

// The expected values below were computed once with PyTorch 1.13 (/usr/bin/python3) by this snippet:
//
//   import math, torch
//   def run(opt_cls, dtype, **kw):
//       shapes = [(2, 3), (4,)]
//       ps = []
//       for j, s in enumerate(shapes):
//           k = torch.arange(math.prod(s), dtype=torch.float64)
//           ps.append(torch.nn.Parameter((0.5 * torch.sin(1.0 + 0.7 * k + 10 * j)).to(dtype).reshape(s)))
//       opt = opt_cls(ps, **kw)
//       for t in range(1, 11):
//           opt.zero_grad()
//           for j, p in enumerate(ps):
//               k = torch.arange(p.numel(), dtype=torch.float64)
//               g = torch.cos(0.3 * k + 0.9 * t + j) * (0.5 + 0.1 * t) + 0.2 * p.detach().double().reshape(-1)
//               p.grad = g.to(dtype).reshape(p.shape)
//           opt.step()
//       return [v for p in ps for v in p.detach().double().reshape(-1).tolist()]
//   run(torch.optim.Adam, torch.float32)                                                         # AdamDefaults
//   run(torch.optim.Adam, torch.float32, lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)  # AdamL2
//   run(torch.optim.AdamW, torch.float32, lr=0.01, weight_decay=0.1)                              # AdamW
//   run(torch.optim.Adam, torch.float32, lr=0.05, amsgrad=True)                                   # AdamAmsgrad
//   run(torch.optim.AdamW, torch.float32, lr=0.02, weight_decay=0.05, amsgrad=True)               # AdamWAmsgrad
//   run(torch.optim.Adam, torch.float64, lr=0.1, betas=(0.5, 0.9), weight_decay=0.01)             # AdamF64

std::vector<Var> make_parameters(DType dtype) {
  std::vector<Var> ps;
  const Shape shapes[] = {{2, 3}, {4}};
  for (int j = 0; j < 2; ++j) {
    const int64_t n = j == 0 ? 6 : 4;
    std::vector<double> v(n);
    for (int64_t k = 0; k < n; ++k) v[k] = 0.5 * std::sin(1.0 + 0.7 * k + 10 * j);
    ps.emplace_back(Tensor::from_vector<double>(v, shapes[j]).to(dtype), true);
  }
  return ps;
}

// The gradients of step t (1-based), from the current parameter values.
void set_gradients(const std::vector<Var>& ps, int t) {
  for (size_t j = 0; j < ps.size(); ++j) {
    const std::vector<double> p = ps[j].value().to(DType::f64).contiguous().to_vector<double>();
    std::vector<double> g(p.size());
    for (size_t k = 0; k < p.size(); ++k) {
      g[k] = std::cos(0.3 * k + 0.9 * t + j) * (0.5 + 0.1 * t) + 0.2 * p[k];
    }
    ps[j].set_grad(Tensor::from_vector<double>(g, ps[j].shape()).to(ps[j].dtype()));
  }
}

std::vector<double> flat_values(const std::vector<Var>& ps) {
  std::vector<double> out;
  for (const Var& p : ps) {
    for (double v : p.value().to(DType::f64).contiguous().to_vector<double>()) out.push_back(v);
  }
  return out;
}

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<Var>)>;

void expect_matches_torch(const MakeOptimizer& make, DType dtype, const std::vector<double>& want, double atol) {
  std::vector<Var> ps = make_parameters(dtype);
  std::unique_ptr<Optimizer> opt = make(ps);
  for (int t = 1; t <= 10; ++t) {
    opt->zero_grad();
    set_gradients(ps, t);
    opt->step();
  }
  const std::vector<double> got = flat_values(ps);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], atol) << "element " << i;
}

TEST(AdamOptimizer, MatchesTorchAdamDefaults) {
  expect_matches_torch([](std::vector<Var> ps) { return std::make_unique<Adam>(std::move(ps)); }, DType::f32,
                       {0.419499755, 0.495338559, 0.338451266, 0.0244843774, -0.301639855, -0.484322846, -0.495304018,
                        -0.376612276, -0.0792353675, 0.256798774},
                       1e-6);
}

TEST(AdamOptimizer, MatchesTorchAdamWithL2WeightDecayAndOtherBetas) {
  expect_matches_torch(
      [](std::vector<Var> ps) {
        return std::make_unique<Adam>(std::move(ps), AdamOptions{.lr = 0.01, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-6,
                                                                 .weight_decay = 0.1});
      },
      DType::f32,
      {0.402459234, 0.482809722, 0.338555425, 0.0538993701, -0.264099032, -0.443467766, -0.452816784, -0.337539703,
       -0.0494202226, 0.274234265},
      1e-6);
}

TEST(AdamOptimizer, MatchesTorchAdamW) {
  expect_matches_torch(
      [](std::vector<Var> ps) {
        return std::make_unique<AdamW>(std::move(ps), AdamWOptions{.lr = 0.01, .weight_decay = 0.1});
      },
      DType::f32,
      {0.404481053, 0.486103266, 0.341482043, 0.0568480641, -0.260723442, -0.440213263, -0.448868155, -0.334140331,
       -0.0469699055, 0.275946081},
      1e-6);
}

TEST(AdamOptimizer, MatchesTorchAmsgrad) {
  expect_matches_torch(
      [](std::vector<Var> ps) { return std::make_unique<Adam>(std::move(ps), AdamOptions{.lr = 0.05, .amsgrad = true}); },
      DType::f32,
      {0.363999009, 0.473584652, 0.372230738, 0.194487721, -0.103118032, -0.278294891, -0.277175069, -0.173706934,
       0.0844689086, 0.368112445},
      1e-6);
}

TEST(AdamOptimizer, MatchesTorchAdamWAmsgrad) {
  expect_matches_torch(
      [](std::vector<Var> ps) {
        return std::make_unique<AdamW>(std::move(ps), AdamWOptions{.lr = 0.02, .weight_decay = 0.05, .amsgrad = true});
      },
      DType::f32,
      {0.392830819, 0.481512457, 0.34847337, 0.0922120661, -0.219516739, -0.397476971, -0.403676808, -0.292036861,
       -0.0128682544, 0.299304157},
      1e-6);
}

TEST(AdamOptimizer, MatchesTorchInF64To1e12) {
  expect_matches_torch(
      [](std::vector<Var> ps) {
        return std::make_unique<Adam>(std::move(ps),
                                      AdamOptions{.lr = 0.1, .beta1 = 0.5, .beta2 = 0.9, .weight_decay = 0.01});
      },
      DType::f64,
      {0.30095046229411782, 0.43280113721730407, 0.36312707718107551, 0.29317790449808839, 0.025812671924608913,
       -0.13053388796243293, -0.13804075133812949, -0.037219797790838796, 0.19998984756639748, 0.45234581106142363},
      1e-12);
}

TEST(AdamOptimizer, FirstStepMovesEachElementByLrAgainstTheGradientSign) {
  // Step 1 with bias correction: m̂ = g, v̂ = g², so the update is lr · g / (|g| + eps) ≈ lr · sign(g).
  Var p(Tensor::from_vector<float>({1.0f, -2.0f, 0.5f}, {3}), true);
  Adam adam({p}, {.lr = 0.1, .eps = 0.0});
  p.set_grad(Tensor::from_vector<float>({3.0f, -0.001f, 20.0f}, {3}));
  adam.step();
  EXPECT_TRUE(all_close(p.value(), Tensor::from_vector<float>({0.9f, -1.9f, 0.4f}, {3}), 1e-6, 0.0));
}

TEST(AdamOptimizer, SkipsParametersWithoutGradientAndKeepsTheirStepCount) {
  std::vector<Var> ps = make_parameters(DType::f32);
  Adam adam(ps, {.lr = 0.1});
  const Tensor before = ps[1].value().clone();
  ps[0].set_grad(Tensor::ones({2, 3}));
  adam.step();
  EXPECT_TRUE(bitwise_equal(ps[1].value(), before));
  const auto state = adam.state_dict();
  EXPECT_TRUE(state.contains("state.0.step"));
  EXPECT_FALSE(state.contains("state.1.step"));
  EXPECT_EQ(state.at("state.0.step").item<double>(), 1.0);
  EXPECT_EQ(state.at("state.0.exp_avg").shape(), (Shape{2, 3}));
}

TEST(AdamOptimizer, StateDictResumesBitwise) {
  // 10 steps straight == 5 steps, state saved, a fresh optimizer loads it, 5 more steps.
  for (bool amsgrad : {false, true}) {
    const AdamOptions options{.lr = 0.03, .weight_decay = 0.01, .amsgrad = amsgrad};
    std::vector<Var> straight = make_parameters(DType::f32);
    Adam a(straight, options);
    for (int t = 1; t <= 10; ++t) {
      set_gradients(straight, t);
      a.step();
    }
    std::vector<Var> resumed = make_parameters(DType::f32);
    std::map<std::string, Tensor> saved;
    {
      Adam b(resumed, options);
      for (int t = 1; t <= 5; ++t) {
        set_gradients(resumed, t);
        b.step();
      }
      saved = b.state_dict();
    }
    EXPECT_EQ(saved.size(), amsgrad ? 8u : 6u);
    Adam c(resumed, options);
    c.load_state_dict(saved);
    for (int t = 6; t <= 10; ++t) {
      set_gradients(resumed, t);
      c.step();
    }
    for (size_t j = 0; j < straight.size(); ++j) EXPECT_TRUE(bitwise_equal(straight[j].value(), resumed[j].value()));
  }
}

// A parameter larger than one chunk of the parallel update (2^15 elements) gives, on 1 and on 2 threads, bitwise the
// values of three separate parameters holding its pieces (each updated in one range).
TEST(AdamOptimizer, LargeParameterUpdatedInChunksEqualsItsPieces) {
  const int before = num_threads();
  constexpr int64_t kChunk = int64_t{1} << 15, n = 2 * kChunk + 1000;
  std::vector<double> init(n), grad(n);
  for (int64_t k = 0; k < n; ++k) {
    init[k] = 0.5 * std::sin(0.001 * k);
    grad[k] = std::cos(0.003 * k);
  }
  const Tensor p0 = Tensor::from_vector<double>(init, {n}).to(DType::f32);
  const Tensor g0 = Tensor::from_vector<double>(grad, {n}).to(DType::f32);
  for (bool amsgrad : {false, true}) {
    const AdamOptions options{.lr = 0.01, .weight_decay = 0.01, .amsgrad = amsgrad};
    std::vector<Tensor> whole;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Var p(p0.clone(), true);
      Adam opt({p}, options);
      for (int t = 1; t <= 3; ++t) {
        p.set_grad(mul(g0, static_cast<double>(t)));
        opt.step();
      }
      whole.push_back(p.value());
    }
    set_num_threads(before);
    EXPECT_TRUE(bitwise_equal(whole[0], whole[1])) << "1 and 2 threads differ, amsgrad " << amsgrad;
    std::vector<Var> pieces;
    std::vector<int64_t> starts;
    for (int64_t lo = 0; lo < n; lo += kChunk) {
      starts.push_back(lo);
      pieces.emplace_back(p0.narrow(0, lo, std::min(kChunk, n - lo)).clone(), true);
    }
    Adam opt(pieces, options);
    for (int t = 1; t <= 3; ++t) {
      for (size_t j = 0; j < pieces.size(); ++j)
        pieces[j].set_grad(mul(g0.narrow(0, starts[j], pieces[j].size(0)), static_cast<double>(t)));
      opt.step();
    }
    for (size_t j = 0; j < pieces.size(); ++j) {
      const Tensor want = whole[0].narrow(0, starts[j], pieces[j].size(0)).contiguous();
      EXPECT_TRUE(bitwise_equal(want, pieces[j].value())) << "piece " << j << " amsgrad " << amsgrad;
    }
  }
}

TEST(AdamOptimizer, SetLrChangesTheNextStep) {
  Var p(Tensor::from_vector<float>({1.0f}, {1}), true);
  Adam adam({p}, {.lr = 0.1, .eps = 0.0});
  adam.set_lr(0.25);
  EXPECT_EQ(adam.lr(), 0.25);
  p.set_grad(Tensor::from_vector<float>({2.0f}, {1}));
  adam.step();
  EXPECT_NEAR(p.value().to_vector<float>()[0], 0.75f, 1e-6);
  EXPECT_THAT(error_of([&] { adam.set_lr(-1.0); }), HasSubstr("lr must be a finite non-negative number, got -1"));
}

TEST(AdamOptimizer, ZeroGradForgetsGradients) {
  std::vector<Var> ps = make_parameters(DType::f32);
  Adam adam(ps);
  set_gradients(ps, 1);
  adam.zero_grad();
  for (const Var& p : ps) EXPECT_FALSE(p.grad().defined());
}

TEST(AdamOptimizer, BadOptionsNameTheOption) {
  std::vector<Var> ps = make_parameters(DType::f32);
  EXPECT_THAT(error_of([&] { Adam(ps, {.lr = -0.1}); }), HasSubstr("Adam: lr must be a finite non-negative number"));
  EXPECT_THAT(error_of([&] { Adam(ps, {.beta1 = 1.0}); }), HasSubstr("Adam: beta1 must be in [0, 1), got 1"));
  EXPECT_THAT(error_of([&] { Adam(ps, {.beta2 = -0.5}); }), HasSubstr("Adam: beta2 must be in [0, 1), got -0.5"));
  EXPECT_THAT(error_of([&] { Adam(ps, {.eps = -1e-8}); }), HasSubstr("Adam: eps must be"));
  EXPECT_THAT(error_of([&] { AdamW(ps, {.weight_decay = -0.01}); }), HasSubstr("Adam: weight_decay must be"));
}

TEST(AdamOptimizer, BadParametersAndGradientsAreNamed) {
  EXPECT_THAT(error_of([] { Adam({Var()}); }), HasSubstr("Optimizer: parameter 0 is undefined"));
  EXPECT_THAT(error_of([] { Adam({Var(Tensor::zeros({2}, DType::i64), false)}); }),
              HasSubstr("Optimizer: parameter 0 must be f32 or f64, got i64 (shape [2])"));
  Var p(Tensor::zeros({2, 2}), true);
  Adam adam({p});
  p.set_grad(Tensor::zeros({2, 2}, DType::f64));
  EXPECT_THAT(error_of([&] { adam.step(); }),
              HasSubstr("the gradient of parameter 0 must match it (parameter f32 [2, 2], gradient f64 [2, 2])"));
}

TEST(AdamOptimizer, LoadStateDictRejectsBadStateAndChangesNothing) {
  std::vector<Var> ps = make_parameters(DType::f32);
  Adam adam(ps);
  set_gradients(ps, 1);
  adam.step();
  const auto good = adam.state_dict();
  auto bad_shape = good;
  bad_shape["state.1.exp_avg"] = Tensor::zeros({5});
  EXPECT_THAT(error_of([&] { adam.load_state_dict(bad_shape); }),
              HasSubstr("'state.1.exp_avg' has shape [5] but parameter 1 has shape [4]"));
  auto unknown = good;
  unknown["state.0.momentum"] = Tensor::zeros({2, 3});
  EXPECT_THAT(error_of([&] { adam.load_state_dict(unknown); }), HasSubstr("unknown state 'state.0.momentum'"));
  auto out_of_range = good;
  out_of_range["state.7.step"] = Tensor::scalar(1.0, DType::f64);
  EXPECT_THAT(error_of([&] { adam.load_state_dict(out_of_range); }),
              HasSubstr("'state.7.step' names parameter 7, but the optimizer has 2 parameters"));
  auto incomplete = good;
  incomplete.erase("state.0.exp_avg_sq");
  EXPECT_THAT(error_of([&] { adam.load_state_dict(incomplete); }), HasSubstr("state of parameter 0 is incomplete"));
  EXPECT_THAT(error_of([&] { adam.load_state_dict({{"exp_avg", Tensor::zeros({1})}}); }),
              HasSubstr("state key 'exp_avg' is not of the form state.<index>.<name>"));
  // Nothing changed: the state is still the good one.
  const auto after = adam.state_dict();
  ASSERT_EQ(after.size(), good.size());
  for (const auto& [k, v] : good) EXPECT_TRUE(bitwise_equal(after.at(k), v)) << k;
}

}  // namespace
}  // namespace attend::optim
