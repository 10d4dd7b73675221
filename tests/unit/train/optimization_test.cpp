// make_optimizer / make_lr_schedule: OptimConfig → the right optimizer class with the right options, and errors
// that name the optim.* option.
#include "attend/train/optimization.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/optim/adam.hpp"
#include "attend/optim/sgd.hpp"
#include "test_util.hpp"

namespace attend::train {
namespace {

using attend::testing::error_of;
using ::testing::HasSubstr;

std::vector<Var> parameters() { return {Var(Tensor::zeros({2, 3}), true), Var(Tensor::zeros({4}), true)}; }

TEST(MakeOptimizer, AdamWithTheConfiguredOptions) {
  OptimConfig c{.optimizer = "adam", .lr = 3e-3, .beta1 = 0.8, .beta2 = 0.98, .eps = 1e-9, .weight_decay = 0.01};
  auto opt = make_optimizer(parameters(), c);
  auto* adam = dynamic_cast<optim::Adam*>(opt.get());
  ASSERT_NE(adam, nullptr);
  EXPECT_EQ(dynamic_cast<optim::AdamW*>(opt.get()), nullptr);
  EXPECT_EQ(adam->lr(), 3e-3);
  EXPECT_EQ(adam->options().beta1, 0.8);
  EXPECT_EQ(adam->options().beta2, 0.98);
  EXPECT_EQ(adam->options().eps, 1e-9);
  EXPECT_EQ(adam->options().weight_decay, 0.01);
  EXPECT_FALSE(adam->options().decoupled_weight_decay);
  EXPECT_EQ(adam->parameters().size(), 2u);
}

TEST(MakeOptimizer, AdamWDecouplesWeightDecay) {
  auto opt = make_optimizer(parameters(), {.optimizer = "adamw", .lr = 1e-3, .weight_decay = 0.1});
  auto* adamw = dynamic_cast<optim::AdamW*>(opt.get());
  ASSERT_NE(adamw, nullptr);
  EXPECT_TRUE(adamw->options().decoupled_weight_decay);
  EXPECT_EQ(adamw->options().weight_decay, 0.1);
  // optim.weight_decay defaults to 0 for adamw too (not torch's 0.01).
  auto plain = make_optimizer(parameters(), {.optimizer = "adamw"});
  EXPECT_EQ(dynamic_cast<optim::AdamW*>(plain.get())->options().weight_decay, 0.0);
}

TEST(MakeOptimizer, SgdWithMomentumNesterovAndWeightDecay) {
  auto opt = make_optimizer(parameters(),
                            {.optimizer = "sgd", .lr = 0.1, .weight_decay = 1e-4, .momentum = 0.9, .nesterov = true});
  auto* sgd = dynamic_cast<optim::Sgd*>(opt.get());
  ASSERT_NE(sgd, nullptr);
  EXPECT_EQ(sgd->lr(), 0.1);
  EXPECT_EQ(sgd->options().momentum, 0.9);
  EXPECT_TRUE(sgd->options().nesterov);
  EXPECT_EQ(sgd->options().weight_decay, 1e-4);
  EXPECT_EQ(sgd->options().dampening, 0.0);
}

TEST(MakeOptimizer, UnknownOrInconsistentOptionsNameTheOption) {
  EXPECT_THAT(error_of([] { make_optimizer(parameters(), {.optimizer = "adagrad"}); }),
              HasSubstr("optim.optimizer must be one of adam, adamw, sgd; got 'adagrad'"));
  EXPECT_THAT(error_of([] { make_optimizer(parameters(), {.optimizer = "Adam"}); }), HasSubstr("got 'Adam'"));
  EXPECT_THAT(error_of([] { make_optimizer(parameters(), {.optimizer = "adam", .momentum = 0.9}); }),
              HasSubstr("optim.momentum is an sgd option, but optim.optimizer is 'adam' (got momentum 0.9)"));
  EXPECT_THAT(error_of([] { make_optimizer(parameters(), {.optimizer = "adamw", .nesterov = true}); }),
              HasSubstr("optim.nesterov is an sgd option, but optim.optimizer is 'adamw'"));
  EXPECT_THAT(error_of([] { make_optimizer(parameters(), {.optimizer = "adam", .beta1 = 1.0}); }),
              HasSubstr("optim: Adam: beta1 must be in [0, 1), got 1"));
  EXPECT_THAT(error_of([] { make_optimizer(parameters(), {.optimizer = "sgd", .lr = -1.0}); }),
              HasSubstr("optim: Sgd: lr must be a finite non-negative number, got -1"));
  EXPECT_THAT(error_of([] { make_optimizer(parameters(), {.optimizer = "sgd", .nesterov = true}); }),
              HasSubstr("optim: Sgd: nesterov needs momentum > 0"));
}

TEST(MakeLrSchedule, CopiesTheScheduleOptionsAndTheTotalSteps) {
  const OptimConfig c{.schedule = "cosine", .warmup_steps = 10, .step_size = 7, .gamma = 0.2, .min_lr = 1e-5};
  const optim::LrScheduleOptions s = make_lr_schedule(c, 500);
  EXPECT_EQ(s.kind, optim::LrScheduleKind::cosine);
  EXPECT_EQ(s.warmup_steps, 10);
  EXPECT_EQ(s.step_size, 7);
  EXPECT_EQ(s.gamma, 0.2);
  EXPECT_EQ(s.total_steps, 500);
  EXPECT_EQ(s.min_lr, 1e-5);
  EXPECT_EQ(make_lr_schedule({}, 0).kind, optim::LrScheduleKind::constant);  // the default config
  EXPECT_EQ(make_lr_schedule({.schedule = "warmup_inverse_sqrt", .warmup_steps = 4000}, 0).kind,
            optim::LrScheduleKind::warmup_inverse_sqrt);
}

TEST(MakeLrSchedule, ErrorsNameTheOption) {
  EXPECT_THAT(error_of([] { make_lr_schedule({.schedule = "noam"}, 100); }),
              HasSubstr("optim.schedule must be one of constant, step, linear_warmup, warmup_inverse_sqrt, cosine; "
                        "got 'noam'"));
  EXPECT_THAT(error_of([] { make_lr_schedule({.schedule = "cosine", .warmup_steps = 100}, 100); }),
              HasSubstr("optim: lr schedule 'cosine': total_steps must be greater than warmup_steps (got total_steps "
                        "100, warmup_steps 100)"));
  EXPECT_THAT(error_of([] { make_lr_schedule({.schedule = "step", .warmup_steps = 5}, 100); }),
              HasSubstr("optim: lr schedule 'step' has no warmup, but warmup_steps is 5"));
  EXPECT_THAT(error_of([] { make_lr_schedule({.schedule = "linear_warmup", .warmup_steps = -2}, 100); }),
              HasSubstr("optim: lr schedule 'linear_warmup': warmup_steps must be >= 0, got -2"));
}

}  // namespace
}  // namespace attend::train
