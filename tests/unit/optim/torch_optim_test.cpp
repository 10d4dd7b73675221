// Optimizers, schedules and clipping against torch.optim (PyTorch 1.13): each case of
// tests/data/optim/torch_optim.safetensors (made by scripts/gen_optim_fixture.py, format in its docstring) is replayed
// through Sgd / Adam / AdamW + scheduled_lr + clip_grad_norm / clip_grad_value from the same initial parameters and
// gradients, and the parameters must equal torch's after every one of the 10 steps to 1e-6.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "attend/io/safetensors.hpp"
#include "attend/optim/adam.hpp"
#include "attend/optim/clip.hpp"
#include "attend/optim/lr_schedule.hpp"
#include "attend/optim/sgd.hpp"
#include "test_util.hpp"

namespace attend::optim {
namespace {

using nlohmann::json;

// The cases scripts/gen_optim_fixture.py writes; FixtureHoldsExactlyTheseCases keeps the two lists in step.
const char* const kCases[] = {
    "sgd_plain",
    "sgd_momentum_step",
    "sgd_nesterov_weight_decay_clip_norm",
    "sgd_dampening_clip_value_cosine",
    "adam_inverse_sqrt",
    "adam_weight_decay_clip_norm_step",
    "adam_amsgrad_cosine",
    "adamw_linear_warmup_clip_value",
    "adamw_amsgrad_cosine_clip_both",
};

constexpr double kTolerance = 1e-6;

const SafetensorsFile& fixture() {
  static const SafetensorsFile file =
      read_safetensors(std::string(ATTEND_SOURCE_DIR) + "/tests/data/optim/torch_optim.safetensors");
  return file;
}

json case_description(const std::string& name) {
  for (const json& c : json::parse(fixture().metadata.at("cases"))) {
    if (c.at("name") == name) return c;
  }
  ADD_FAILURE() << "the fixture has no case " << name << " (run scripts/gen_optim_fixture.py)";
  return json();
}

std::unique_ptr<Optimizer> make(const json& c, std::vector<Var> params) {
  const std::string kind = c.at("optimizer");
  const json& o = c.at("options");
  if (kind == "sgd") {
    return std::make_unique<Sgd>(std::move(params), SgdOptions{.lr = o.at("lr"),
                                                               .momentum = o.value("momentum", 0.0),
                                                               .dampening = o.value("dampening", 0.0),
                                                               .weight_decay = o.value("weight_decay", 0.0),
                                                               .nesterov = o.value("nesterov", false)});
  }
  if (kind == "adamw") {
    return std::make_unique<AdamW>(std::move(params), AdamWOptions{.lr = o.at("lr"),
                                                                   .beta1 = o.value("beta1", 0.9),
                                                                   .beta2 = o.value("beta2", 0.999),
                                                                   .eps = o.value("eps", 1e-8),
                                                                   .weight_decay = o.value("weight_decay", 1e-2),
                                                                   .amsgrad = o.value("amsgrad", false)});
  }
  EXPECT_EQ(kind, "adam");
  return std::make_unique<Adam>(std::move(params), AdamOptions{.lr = o.at("lr"),
                                                               .beta1 = o.value("beta1", 0.9),
                                                               .beta2 = o.value("beta2", 0.999),
                                                               .eps = o.value("eps", 1e-8),
                                                               .weight_decay = o.value("weight_decay", 0.0),
                                                               .amsgrad = o.value("amsgrad", false)});
}

LrScheduleOptions schedule_of(const json& c) {
  const json& s = c.at("schedule");
  const LrScheduleOptions d;
  return {.kind = parse_lr_schedule(s.at("kind")),
          .warmup_steps = s.value("warmup_steps", d.warmup_steps),
          .step_size = s.value("step_size", d.step_size),
          .gamma = s.value("gamma", d.gamma),
          .total_steps = s.value("total_steps", d.total_steps),
          .min_lr = s.value("min_lr", d.min_lr)};
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double worst = 0.0;
  for (size_t i = 0; i < va.size(); ++i) {
    worst = std::max(worst, std::isnan(va[i]) ? INFINITY : std::abs(va[i] - vb[i]));
  }
  return worst;
}

class TorchOptim : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchOptim, EveryStepMatchesTorchTo1e6) {
  const std::string name = GetParam();
  const json c = case_description(name);
  ASSERT_FALSE(c.is_null());
  const auto& t = fixture().tensors;
  const int64_t steps = std::stoll(fixture().metadata.at("steps"));
  std::vector<Var> params;
  for (size_t j = 0; t.contains(fmt::format("{}.param.{}", name, j)); ++j) {
    const Tensor& initial = t.at(fmt::format("{}.param.{}", name, j));
    ASSERT_EQ(initial.dtype(), DType::f32);
    params.emplace_back(initial.clone(), true);
  }
  ASSERT_GE(params.size(), 2u);
  std::unique_ptr<Optimizer> optimizer = make(c, params);
  const LrScheduleOptions schedule = schedule_of(c);
  const double base_lr = c.at("options").at("lr");
  const double clip_norm = c.at("clip_norm"), clip_value = c.at("clip_value");
  const Tensor& has_grad = t.at(name + ".has_grad");
  const std::vector<double> torch_lr = t.at(name + ".lr").to_vector<double>();
  const std::vector<double> torch_norm =
      clip_norm > 0 ? t.at(name + ".grad_norm").to_vector<double>() : std::vector<double>();
  ASSERT_EQ(static_cast<int64_t>(torch_lr.size()), steps);
  double worst = 0.0;
  for (int64_t step = 0; step < steps; ++step) {
    SCOPED_TRACE(fmt::format("{} step {}", name, step));
    optimizer->zero_grad();
    for (size_t j = 0; j < params.size(); ++j) {
      if (has_grad.at({step, static_cast<int64_t>(j)}) != 0) {
        params[j].set_grad(t.at(fmt::format("{}.grad.{}", name, j)).select(0, step).clone());
      }
    }
    if (clip_norm > 0) {
      const double norm = clip_grad_norm(params, clip_norm);
      EXPECT_NEAR(norm, torch_norm[step], 1e-6 * torch_norm[step]);
      EXPECT_GT(norm, clip_norm);  // the fixture's gradients are large enough for clipping to act
    }
    if (clip_value > 0) clip_grad_value(params, clip_value);
    const double lr = scheduled_lr(base_lr, schedule, step);
    EXPECT_NEAR(lr, torch_lr[step], 1e-12 * base_lr);
    optimizer->set_lr(lr);
    optimizer->step();
    for (size_t j = 0; j < params.size(); ++j) {
      const Tensor want = t.at(fmt::format("{}.after.{}", name, j)).select(0, step);
      const double diff = max_abs_diff(params[j].value(), want);
      EXPECT_LE(diff, kTolerance) << "parameter " << j;
      worst = std::max(worst, diff);
    }
  }
  RecordProperty("max_abs_diff", fmt::format("{:.3g}", worst));
}

INSTANTIATE_TEST_SUITE_P(Fixture, TorchOptim, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<const char*>& p) { return std::string(p.param); });

TEST(TorchOptimFixture, FixtureHoldsExactlyTheseCasesCoveringEveryOptimizerScheduleAndClip) {
  const json cases = json::parse(fixture().metadata.at("cases"));
  std::set<std::string> names, optimizers, schedules;
  bool clip_norm = false, clip_value = false, missing_grad = false;
  for (const json& c : cases) {
    const std::string name = c.at("name");
    names.insert(name);
    optimizers.insert(c.at("optimizer").get<std::string>());
    schedules.insert(c.at("schedule").at("kind").get<std::string>());
    clip_norm |= c.at("clip_norm").get<double>() > 0;
    clip_value |= c.at("clip_value").get<double>() > 0;
    for (const double v : fixture().tensors.at(name + ".has_grad").to_vector<double>()) missing_grad |= v == 0;
  }
  EXPECT_EQ(names, std::set<std::string>(std::begin(kCases), std::end(kCases)));
  EXPECT_EQ(optimizers, (std::set<std::string>{"adam", "adamw", "sgd"}));
  EXPECT_EQ(schedules, (std::set<std::string>{"constant", "cosine", "linear_warmup", "step", "warmup_inverse_sqrt"}));
  EXPECT_TRUE(clip_norm && clip_value && missing_grad);
  EXPECT_EQ(fixture().metadata.at("format"), "attend-optim-1");
  EXPECT_EQ(fixture().metadata.at("steps"), "10");
}

}  // namespace
}  // namespace attend::optim
