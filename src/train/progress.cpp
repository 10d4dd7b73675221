// The trainer's progress display: a redrawn line on a terminal, plain log lines elsewhere (see the header).
#include "attend/train/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "attend/core/error.hpp"

namespace attend::train {

namespace {

constexpr int64_t kBarCells = 20;
constexpr int64_t kDefaultWidth = 80;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool known_total(const ProgressUpdate& u) { return u.total_steps > 0; }

// Remaining time, extrapolating the elapsed time per step; negative when it cannot be told.
double eta_seconds(const ProgressUpdate& u) {
  if (!known_total(u) || u.step <= 0) return -1.0;
  if (u.step >= u.total_steps) return 0.0;
  return static_cast<double>(u.total_steps - u.step) * u.elapsed_seconds / static_cast<double>(u.step);
}

// 950 -> "950", 12345 -> "12.3k", 4.2e6 -> "4.2M".
std::string human_rate(double r) {
  if (!std::isfinite(r)) return "?";
  if (r < 1e3) return fmt::format("{:.0f}", r);
  if (r < 1e6) return fmt::format("{:.1f}k", r / 1e3);
  return fmt::format("{:.1f}M", r / 1e6);
}

// "epoch 2 loss 2.3456 lr 3.00e-04", common to both lines.
std::string training_state(const ProgressUpdate& u) {
  return fmt::format("epoch {} loss {:.4f} lr {:.2e}", u.epoch, u.loss, u.lr);
}

int64_t terminal_width(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return kDefaultWidth;
}

}  // namespace

Progress::Progress(std::FILE* out, bool terminal, int64_t log_every, ProgressOptions options)
    : out_(out), terminal_(terminal), log_every_(log_every), options_(options) {
  ATTEND_CHECK(out != nullptr, "Progress: out must be an open FILE*, got null");
  ATTEND_CHECK(log_every >= 1, "Progress: log_every must be >= 1 step, got {}", log_every);
  ATTEND_CHECK(std::isfinite(options.min_redraw_seconds) && options.min_redraw_seconds >= 0.0,
               "Progress: min_redraw_seconds must be a finite number >= 0, got {}", options.min_redraw_seconds);
  ATTEND_CHECK(options.width >= 0, "Progress: width must be >= 0 (0: ask the terminal), got {}", options.width);
}

Progress::~Progress() {
  if (terminal_ && shown_ > 0) write("\n");
}

bool Progress::is_terminal(std::FILE* out) { return out != nullptr && ::isatty(::fileno(out)) == 1; }

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.0 || seconds > 1e12) return "?";
  const auto t = static_cast<int64_t>(std::llround(seconds));
  if (t < 60) return fmt::format("{}s", t);
  if (t < 3600) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
}

std::string Progress::terminal_line(const ProgressUpdate& u, int64_t width) {
  std::string line;
  if (known_total(u)) {
    const double fraction = std::clamp(static_cast<double>(u.step) / static_cast<double>(u.total_steps), 0.0, 1.0);
    const auto filled = static_cast<int64_t>(fraction * kBarCells);
    line = fmt::format("[{}{}] {:3d}% step {}/{} ", std::string(filled, '#'), std::string(kBarCells - filled, '.'),
                       static_cast<int>(fraction * 100.0), u.step, u.total_steps);
  } else {
    line = fmt::format("step {} ", u.step);
  }
  line += fmt::format("{} {} tok/s ", training_state(u), human_rate(u.tokens_per_second));
  line += known_total(u) ? fmt::format("ETA {}", format_duration(eta_seconds(u)))
                         : fmt::format("elapsed {}", format_duration(u.elapsed_seconds));
  const auto limit = static_cast<size_t>(std::max<int64_t>(width - 1, 1));
  if (line.size() > limit) line.resize(limit);
  return line;
}

std::string Progress::plain_line(const ProgressUpdate& u) {
  const double percent = known_total(u) ? 100.0 * static_cast<double>(u.step) / static_cast<double>(u.total_steps) : 0;
  std::string line = known_total(u) ? fmt::format("step {}/{} ({:.1f}%) ", u.step, u.total_steps, percent)
                                    : fmt::format("step {} ", u.step);
  line += fmt::format("{} tok/s {:.0f} elapsed {}", training_state(u), u.tokens_per_second,
                      format_duration(u.elapsed_seconds));
  if (known_total(u)) line += fmt::format(" ETA {}", format_duration(eta_seconds(u)));
  return line;
}

void Progress::update(const ProgressUpdate& u) {
  last_ = u;
  last_printed_ = false;
  const bool last_step = known_total(u) && u.step >= u.total_steps;
  if (terminal_) {
    const double now = now_seconds();
    if (last_draw_ < 0.0 || now - last_draw_ >= options_.min_redraw_seconds || last_step) {
      draw(u);
      last_draw_ = now;
      last_printed_ = true;
    }
  } else if ((u.step > 0 && u.step % log_every_ == 0) || last_step) {
    write(plain_line(u) + "\n");
    last_printed_ = true;
  }
}

void Progress::message(const std::string& line) {
  if (!terminal_) {
    write(line + "\n");
    return;
  }
  clear_line();
  write(line + "\n");
  if (last_) draw(*last_);
}

void Progress::finish() {
  if (terminal_) {
    if (last_) draw(*last_);
    if (shown_ > 0) write("\n");
    shown_ = 0;
  } else if (last_ && !last_printed_) {
    write(plain_line(*last_) + "\n");
  }
  last_.reset();
  last_printed_ = false;
  last_draw_ = -1.0;
}

void Progress::draw(const ProgressUpdate& u) {
  const std::string line = terminal_line(u, options_.width > 0 ? options_.width : terminal_width(out_));
  std::string text = fmt::format("\r{}", line);
  if (shown_ > line.size()) text.append(shown_ - line.size(), ' ');  // cover the rest of a longer previous line
  write(text);
  shown_ = line.size();
}

void Progress::clear_line() {
  if (shown_ == 0) return;
  write(fmt::format("\r{:{}}\r", "", shown_));
  shown_ = 0;
}

void Progress::write(const std::string& text) {
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
}

}  // namespace attend::train
