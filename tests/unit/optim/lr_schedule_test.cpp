// Learning-rate schedules: each formula at chosen steps, the clamp past total_steps, names, and option errors.
// Parity with torch.optim.lr_scheduler is in torch_optim_test.cpp.
#include "attend/optim/lr_schedule.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "test_util.hpp"

namespace attend::optim {
namespace {

using attend::testing::error_of;
using ::testing::HasSubstr;

TEST(LrSchedule, ConstantIsTheBaseRate) {
  for (int64_t s : {0, 1, 1000000}) EXPECT_EQ(scheduled_lr(0.25, {}, s), 0.25);
}

TEST(LrSchedule, StepMultipliesByGammaEveryStepSize) {
  const LrScheduleOptions o{.kind = LrScheduleKind::step, .step_size = 3, .gamma = 0.1};
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 0), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 2), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 3), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 5), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 6), 0.01);
  EXPECT_DOUBLE_EQ(scheduled_lr(2.0, o, 9), 2e-3);
}

TEST(LrSchedule, LinearWarmupRisesToTheBaseRateAtStepWarmupMinusOne) {
  const LrScheduleOptions o{.kind = LrScheduleKind::linear_warmup, .warmup_steps = 4};
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 0), 0.25);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 1), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 3), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 100), 1.0);
  EXPECT_EQ(scheduled_lr(0.3, {.kind = LrScheduleKind::linear_warmup, .warmup_steps = 0}, 0), 0.3);  // no warmup
}

TEST(LrSchedule, WarmupInverseSqrtPeaksAtTheEndOfWarmupThenFallsAsOneOverSqrt) {
  const LrScheduleOptions o{.kind = LrScheduleKind::warmup_inverse_sqrt, .warmup_steps = 4};
  EXPECT_DOUBLE_EQ(scheduled_lr(2.0, o, 0), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_lr(2.0, o, 2), 1.5);
  EXPECT_DOUBLE_EQ(scheduled_lr(2.0, o, 3), 2.0);   // the peak: (s + 1) = W
  EXPECT_DOUBLE_EQ(scheduled_lr(2.0, o, 15), 1.0);  // 4 W steps done: half the peak
  EXPECT_DOUBLE_EQ(scheduled_lr(2.0, o, 399), 0.2);
}

TEST(LrSchedule, CosineWarmsUpThenAnnealsToMinLrAndStaysThere) {
  const LrScheduleOptions o{.kind = LrScheduleKind::cosine, .warmup_steps = 2, .total_steps = 12, .min_lr = 0.1};
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 0), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 1), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 2), 1.0);   // t = 0: the cosine starts at the base rate
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 7), 0.55);  // t = T/2: half way between base and min_lr
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 4), 0.1 + 0.9 * (1 + std::cos(std::numbers::pi * 2 / 10)) / 2);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 12), 0.1);  // total_steps: min_lr
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, o, 50), 0.1);  // clamped, torch's cosine would rise again
  const LrScheduleOptions no_warmup{.kind = LrScheduleKind::cosine, .total_steps = 4};
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, no_warmup, 0), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, no_warmup, 2), 0.5);
  EXPECT_NEAR(scheduled_lr(1.0, no_warmup, 4), 0.0, 1e-17);
}

TEST(LrSchedule, NamesRoundTripAndUnknownNamesListTheValidOnes) {
  for (LrScheduleKind kind : {LrScheduleKind::constant, LrScheduleKind::step, LrScheduleKind::linear_warmup,
                              LrScheduleKind::warmup_inverse_sqrt, LrScheduleKind::cosine}) {
    EXPECT_EQ(parse_lr_schedule(lr_schedule_name(kind)), kind);
  }
  EXPECT_EQ(std::string(lr_schedule_name(LrScheduleKind::warmup_inverse_sqrt)), "warmup_inverse_sqrt");
  EXPECT_THAT(error_of([] { parse_lr_schedule("noam"); }),
              HasSubstr("lr schedule must be one of constant, step, linear_warmup, warmup_inverse_sqrt, cosine; got "
                        "'noam'"));
  EXPECT_THAT(error_of([] { parse_lr_schedule("Cosine"); }), HasSubstr("got 'Cosine'"));
}

TEST(LrSchedule, InvalidOptionsAreNamed) {
  using K = LrScheduleKind;
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::linear_warmup, .warmup_steps = -1}, 0); }),
              HasSubstr("lr schedule 'linear_warmup': warmup_steps must be >= 0, got -1"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::constant, .warmup_steps = 10}, 0); }),
              HasSubstr("lr schedule 'constant' has no warmup, but warmup_steps is 10"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::step, .warmup_steps = 5}, 0); }),
              HasSubstr("lr schedule 'step' has no warmup, but warmup_steps is 5"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::step, .step_size = 0}, 0); }),
              HasSubstr("lr schedule 'step': step_size must be >= 1, got 0"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::step, .gamma = 0.0}, 0); }),
              HasSubstr("lr schedule 'step': gamma must be a finite number > 0, got 0"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::step, .gamma = NAN}, 0); }),
              HasSubstr("gamma must be a finite number > 0, got nan"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::warmup_inverse_sqrt}, 0); }),
              HasSubstr("lr schedule 'warmup_inverse_sqrt': warmup_steps must be >= 1, got 0"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::cosine}, 0); }),
              HasSubstr("lr schedule 'cosine': total_steps must be greater than warmup_steps (got total_steps 0, "
                        "warmup_steps 0)"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::cosine, .warmup_steps = 10, .total_steps = 10}, 0); }),
              HasSubstr("(got total_steps 10, warmup_steps 10)"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.kind = K::cosine, .total_steps = 10, .min_lr = -0.1}, 0); }),
              HasSubstr("lr schedule 'cosine': min_lr must be a finite number >= 0, got -0.1"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {.total_steps = -3}, 0); }),
              HasSubstr("lr schedule 'constant': total_steps must be >= 0, got -3"));
  EXPECT_THAT(error_of([] { scheduled_lr(-1.0, {}, 0); }),
              HasSubstr("lr schedule 'constant': the base lr must be a finite number >= 0, got -1"));
  EXPECT_THAT(error_of([] { scheduled_lr(1.0, {}, -1); }),
              HasSubstr("lr schedule 'constant': step must be >= 0, got -1"));
  // Options a schedule does not use are not checked: gamma means nothing to cosine.
  EXPECT_DOUBLE_EQ(scheduled_lr(1.0, {.kind = K::cosine, .gamma = -1.0, .total_steps = 2}, 0), 1.0);
}

}  // namespace
}  // namespace attend::optim
