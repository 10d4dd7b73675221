// The progress display: plain log lines (format, cadence) and the terminal line (bar, '\r', ETA, throttling).
#include "attend/train/progress.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>

#include "test_util.hpp"

namespace attend::train {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::error_of;

// A temporary file that Progress writes into; text() reads back everything written so far.
class Output {
 public:
  Output() : file_(std::tmpfile(), &std::fclose) {}
  std::FILE* get() const { return file_.get(); }
  std::string text() const {
    std::fflush(file_.get());
    std::rewind(file_.get());
    std::string s;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_.get())) > 0;) s.append(buffer, n);
    return s;
  }

 private:
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

ProgressUpdate at(int64_t step, int64_t total, double elapsed = 10.0) {
  return {.step = step, .total_steps = total, .epoch = 1, .loss = 1.5, .lr = 1e-3, .tokens_per_second = 950,
          .elapsed_seconds = elapsed};
}

size_t count(const std::string& s, char c) { return static_cast<size_t>(std::count(s.begin(), s.end(), c)); }

TEST(ProgressFormat, Durations) {
  EXPECT_EQ(Progress::format_duration(0), "0s");
  EXPECT_EQ(Progress::format_duration(45), "45s");
  EXPECT_EQ(Progress::format_duration(59.4), "59s");
  EXPECT_EQ(Progress::format_duration(59.6), "1m00s");
  EXPECT_EQ(Progress::format_duration(65), "1m05s");
  EXPECT_EQ(Progress::format_duration(3599), "59m59s");
  EXPECT_EQ(Progress::format_duration(3600), "1h00m");
  EXPECT_EQ(Progress::format_duration(7380), "2h03m");
  EXPECT_EQ(Progress::format_duration(-1), "?");
  EXPECT_EQ(Progress::format_duration(std::numeric_limits<double>::quiet_NaN()), "?");
}

TEST(ProgressFormat, PlainLine) {
  // ETA: 600 steps left at 130 s / 400 steps = 195 s.
  const ProgressUpdate u{.step = 400, .total_steps = 1000, .epoch = 2, .loss = 2.34561, .lr = 3e-4,
                         .tokens_per_second = 12345.4, .elapsed_seconds = 130};
  EXPECT_EQ(Progress::plain_line(u),
            "step 400/1000 (40.0%) epoch 2 loss 2.3456 lr 3.00e-04 tok/s 12345 elapsed 2m10s ETA 3m15s");
  ProgressUpdate unknown = u;
  unknown.total_steps = 0;
  EXPECT_EQ(Progress::plain_line(unknown), "step 400 epoch 2 loss 2.3456 lr 3.00e-04 tok/s 12345 elapsed 2m10s");
}

TEST(ProgressFormat, TerminalLine) {
  // Half way after 65 s: 50 steps left at 1.3 s per step = 65 s.
  EXPECT_EQ(Progress::terminal_line(at(50, 100, 65.0), 200),
            "[##########..........]  50% step 50/100 epoch 1 loss 1.5000 lr 1.00e-03 950 tok/s ETA 1m05s");
  ProgressUpdate fast = at(7, 0, 3.0);
  fast.tokens_per_second = 12345;
  EXPECT_EQ(Progress::terminal_line(fast, 200), "step 7 epoch 1 loss 1.5000 lr 1.00e-03 12.3k tok/s elapsed 3s");
  EXPECT_EQ(Progress::terminal_line(at(100, 100), 200).substr(0, 28), "[####################] 100% ");
  EXPECT_EQ(Progress::terminal_line(at(50, 100), 30).size(), 29u);  // never wider than the terminal minus one
}

TEST(ProgressPlain, OneLineEveryLogEveryStepsAndAtTheLastStep) {
  Output out;
  Progress progress(out.get(), false, 3);
  for (int64_t s = 1; s <= 10; ++s) progress.update(at(s, 10));
  progress.finish();  // step 10 already has its line: nothing more
  const std::string text = out.text();
  EXPECT_EQ(count(text, '\n'), 4u) << text;
  EXPECT_THAT(text, HasSubstr("step 3/10 (30.0%)"));
  EXPECT_THAT(text, HasSubstr("step 6/10 (60.0%)"));
  EXPECT_THAT(text, HasSubstr("step 9/10 (90.0%)"));
  EXPECT_THAT(text, HasSubstr("step 10/10 (100.0%)"));
  EXPECT_THAT(text, Not(HasSubstr("\r")));
  EXPECT_EQ(text.substr(0, 15), "step 3/10 (30.0");
}

TEST(ProgressPlain, FinishPrintsTheLastUpdateOfARunThatStoppedBetweenLines) {
  Output out;
  Progress progress(out.get(), false, 5);
  for (int64_t s = 1; s <= 7; ++s) progress.update(at(s, 0));
  progress.message("valid: loss 1.23");
  progress.finish();
  EXPECT_EQ(out.text(),
            Progress::plain_line(at(5, 0)) + "\nvalid: loss 1.23\n" + Progress::plain_line(at(7, 0)) + "\n");
}

TEST(ProgressTerminal, RedrawsOneLineWithCarriageReturns) {
  Output out;
  Progress progress(out.get(), true, 1000, {.min_redraw_seconds = 0.0, .width = 200});
  progress.update(at(25, 100, 65.0 / 3.0));
  progress.update(at(50, 100, 65.0));
  progress.finish();
  const std::string text = out.text();
  EXPECT_EQ(text.front(), '\r');
  EXPECT_EQ(count(text, '\n'), 1u);  // only finish() ends the line
  EXPECT_EQ(text.back(), '\n');
  EXPECT_THAT(text, HasSubstr("\r[#####...............]  25% step 25/100"));
  EXPECT_THAT(text, HasSubstr("\r[##########..........]  50% step 50/100 epoch 1 loss 1.5000 lr 1.00e-03 950 tok/s "
                              "ETA 1m05s"));
}

TEST(ProgressTerminal, ThrottlesRedrawsButAlwaysDrawsTheFirstAndLastStep) {
  Output out;
  Progress progress(out.get(), true, 1, {.min_redraw_seconds = 3600.0, .width = 200});
  for (int64_t s = 1; s <= 100; ++s) progress.update(at(s, 100));
  const std::string text = out.text();
  EXPECT_EQ(count(text, '\r'), 2u) << text;  // step 1, then step 100
  EXPECT_THAT(text, HasSubstr("step 1/100"));
  EXPECT_THAT(text, HasSubstr("step 100/100"));
  EXPECT_THAT(text, Not(HasSubstr("step 50/100")));
}

TEST(ProgressTerminal, FinishDrawsTheLatestThrottledUpdate) {
  Output out;
  Progress progress(out.get(), true, 1, {.min_redraw_seconds = 3600.0, .width = 200});
  for (int64_t s = 1; s <= 40; ++s) progress.update(at(s, 0));
  progress.finish();
  const std::string text = out.text();
  EXPECT_THAT(text, HasSubstr("\rstep 40 epoch 1"));
  EXPECT_EQ(text.back(), '\n');
}

TEST(ProgressTerminal, MessageClearsTheBarThenRedrawsIt) {
  Output out;
  Progress progress(out.get(), true, 1, {.min_redraw_seconds = 0.0, .width = 200});
  progress.update(at(10, 100));
  const std::string bar = Progress::terminal_line(at(10, 100), 200);
  progress.message("valid: bleu 12.3");
  const std::string expected =
      "\r" + bar + "\r" + std::string(bar.size(), ' ') + "\r" + "valid: bleu 12.3\n" + "\r" + bar;
  EXPECT_EQ(out.text(), expected);
}

TEST(ProgressTerminal, AShorterLineCoversTheLongerOneBeforeIt) {
  Output out;
  Progress progress(out.get(), true, 1, {.min_redraw_seconds = 0.0, .width = 200});
  ProgressUpdate wide = at(1, 0);
  wide.loss = 123456789.0;
  progress.update(wide);
  progress.update(at(2, 0));
  const std::string first = Progress::terminal_line(wide, 200), second = Progress::terminal_line(at(2, 0), 200);
  ASSERT_GT(first.size(), second.size());
  EXPECT_EQ(out.text(), "\r" + first + "\r" + second + std::string(first.size() - second.size(), ' '));
}

TEST(Progress, IsTerminalIsFalseForFilesAndNull) {
  Output out;
  EXPECT_FALSE(Progress::is_terminal(out.get()));
  EXPECT_FALSE(Progress::is_terminal(nullptr));
}

TEST(Progress, RejectsBadArguments) {
  Output out;
  EXPECT_THAT(error_of([] { Progress p(nullptr, false, 1); }), HasSubstr("Progress: out must be an open FILE*"));
  EXPECT_THAT(error_of([&] { Progress p(out.get(), false, 0); }), HasSubstr("log_every must be >= 1 step, got 0"));
  EXPECT_THAT(error_of([&] { Progress p(out.get(), true, 1, {.min_redraw_seconds = -1.0}); }),
              HasSubstr("min_redraw_seconds must be a finite number >= 0, got -1"));
}

}  // namespace
}  // namespace attend::train
