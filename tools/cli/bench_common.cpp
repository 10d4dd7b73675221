#include "bench_common.hpp"

#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>

#include "attend/core/threads.hpp"

namespace attend::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

constexpr double kWarmupSeconds = 0.5;
constexpr double kSampleSeconds = 0.05;
constexpr int kMaxSamples = 61;

}  // namespace

void add_common_options(CLI::App& cmd, CommonOptions& opts) {
  add_threads_option(cmd, opts.threads);
  cmd.add_option("--warmup", opts.warmup, "Warm-up calls, at least (warm-up also lasts at least 0.5 s)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd.add_option("--reps", opts.reps, "Timed samples, at least (each sample lasts >= 50 ms)")
      ->check(CLI::Range(1, kMaxSamples))
      ->capture_default_str();
  cmd.add_option("--seconds", opts.seconds, "Timed seconds, at least (at most 61 samples)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
}

void add_positive_option(CLI::App& cmd, const std::string& flag, int64_t& value, const std::string& help,
                         int64_t max) {
  cmd.add_option(flag, value, help)->check(CLI::Range(int64_t{1}, max))->capture_default_str();
}

void check_heads_divide(int64_t heads, int64_t width, const std::string& width_flag) {
  if (width % heads == 0) return;
  throw CLI::ValidationError("--heads", "must divide " + width_flag + " (got --heads " + std::to_string(heads) + ", " +
                                            width_flag + " " + std::to_string(width) + ")");
}

void add_threads_option(CLI::App& cmd, int& threads) {
  cmd.add_option("--threads", threads, "Threads for attend's loops and OpenBLAS")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
}

std::vector<double> time_calls(const std::function<void()>& fn, const CommonOptions& opts) {
  const auto t0 = Clock::now();
  int calls = 0;
  while (calls < opts.warmup || seconds_since(t0) < kWarmupSeconds) {
    fn();
    ++calls;
  }
  const double per_call = calls > 0 ? seconds_since(t0) / calls : 0.0;
  const int inner = std::max(1, static_cast<int>(kSampleSeconds / std::max(per_call, 1e-9)));
  std::vector<double> ms;
  double spent = 0.0;
  while (static_cast<int>(ms.size()) < kMaxSamples &&
         (static_cast<int>(ms.size()) < opts.reps || spent < opts.seconds)) {
    const auto s0 = Clock::now();
    for (int i = 0; i < inner; ++i) fn();
    const double el = seconds_since(s0);
    spent += el;
    ms.push_back(el * 1e3 / inner);
  }
  return ms;
}

std::vector<double> time_module(nn::Module& module, const std::function<Var()>& forward, const Tensor& upstream,
                                const std::vector<Var>& inputs, const CommonOptions& opts) {
  if (!upstream.defined()) {
    module.eval();
    return time_calls(
        [&] {
          NoGradGuard no_grad;
          (void)forward();
        },
        opts);
  }
  module.train();
  return time_calls(
      [&] {
        module.zero_grad();
        for (const Var& v : inputs) v.zero_grad();
        forward().backward(upstream);
      },
      opts);
}

nlohmann::json stats_ms(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  const double median = n == 0 ? 0.0 : n % 2 == 1 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  return {{"ms_median", median},
          {"ms_min", n == 0 ? 0.0 : ms.front()},
          {"ms_max", n == 0 ? 0.0 : ms.back()},
          {"samples", n}};
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void emit(nlohmann::json record) {
  record["impl"] = "attend";
  fmt::print("{}\n", record.dump());
  std::fflush(stdout);
}

}  // namespace attend::cli::bench
