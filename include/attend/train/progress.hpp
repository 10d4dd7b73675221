// Progress: what the trainer shows while it trains. On a terminal, one line redrawn in place with '\r' (a bar when
// the total is known, step, epoch, loss, learning rate, tokens per second, ETA), at most ~10 redraws per second;
// otherwise (a file, a pipe, CI logs) one plain line every `log_every` steps and at the last step:
//   terminal: [########............]  40% step 400/1000 epoch 2 loss 2.3456 lr 3.00e-04 12.3k tok/s ETA 1m05s
//   plain:    step 400/1000 (40.0%) epoch 2 loss 2.3456 lr 3.00e-04 tok/s 12345 elapsed 43s ETA 1m05s
// The ETA is (remaining steps) × elapsed / step, written 45s, 1m05s or 2h03m. Hand-written (design.md: nothing in
// Debian fits); tqdm is the model for the terminal line and for message().
//
// Usage:
//   Progress progress(stdout, Progress::is_terminal(stdout), /*log_every*/ 100);
//   progress.update({.step = s, .total_steps = n, .epoch = e, .loss = l, .lr = lr, .elapsed_seconds = t});
//   progress.message("valid: loss 1.23");   progress.finish();
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace attend::train {

struct ProgressUpdate {
  int64_t step = 0;         ///< steps done so far
  int64_t total_steps = 0;  ///< 0: unknown (no bar, no ETA)
  int64_t epoch = 0;
  double loss = 0, lr = 0, tokens_per_second = 0;
  double elapsed_seconds = 0;  ///< training time so far (the ETA extrapolates it)
};

struct ProgressOptions {
  double min_redraw_seconds = 0.1;  ///< terminal: redraws closer together than this are skipped (the last is kept)
  int64_t width = 0;                ///< terminal: line width in columns; 0: ask the terminal (80 if it cannot tell)
};

class Progress {
 public:
  /// `out` is written to (and flushed) but not owned; `log_every` >= 1 (steps between plain lines). Throws
  /// attend::Error naming the argument when out is null or log_every < 1.
  Progress(std::FILE* out, bool terminal, int64_t log_every, ProgressOptions options = {});
  /// Ends an open bar line (as finish() does, without drawing).
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// isatty(fileno(out)); false for null.
  static bool is_terminal(std::FILE* out);
  /// Terminal: redraws the line unless the last redraw was under min_redraw_seconds ago (the first update and the
  /// last step always draw). Plain: prints a line when step % log_every == 0 or step == total_steps.
  void update(const ProgressUpdate& u);
  /// Prints `line` + '\n' on a line of its own: on a terminal, clears the bar first and redraws it after.
  void message(const std::string& line);
  /// Terminal: draws the latest update and ends the line. Plain: prints the latest update if it was not printed yet
  /// (a run that stopped between log lines). Further updates start afresh.
  void finish();

  /// "45s", "1m05s", "2h03m" (negative or non-finite: "?").
  static std::string format_duration(double seconds);
  /// The terminal line for `u`, at most `width` - 1 columns (no '\r').
  static std::string terminal_line(const ProgressUpdate& u, int64_t width);
  /// The plain log line for `u` (no '\n').
  static std::string plain_line(const ProgressUpdate& u);

 private:
  void draw(const ProgressUpdate& u);
  void clear_line();
  void write(const std::string& text);

  std::FILE* out_;
  bool terminal_;
  int64_t log_every_;
  ProgressOptions options_;
  std::optional<ProgressUpdate> last_;   ///< the latest update
  bool last_printed_ = false;            ///< plain: the latest update has its line
  size_t shown_ = 0;                     ///< terminal: columns of the bar line on screen (0: none)
  double last_draw_ = -1.0;              ///< terminal: steady-clock seconds of the last redraw (< 0: never)
};

}  // namespace attend::train
