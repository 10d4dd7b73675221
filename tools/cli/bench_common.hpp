// Shared pieces of `attend bench <workload>`: the timing loop (the same protocol as the anchor scripts'
// common.bench(): warm-up by calls and seconds, samples of >= 50 ms each, until enough samples and seconds), the
// statistics, peak RSS, and the JSON line every workload prints.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <vector>

#include "commands.hpp"

namespace attend::cli::bench {

/// Options every workload shares (registered by add_common_options).
struct CommonOptions {
  int threads = 1;
  int warmup = 2;          ///< warm-up calls, at least (and at least 0.5 s)
  int reps = 15;           ///< timed samples, at least
  double seconds = 3.0;    ///< timed seconds, at least (samples continue until both are reached, at most 61)
};

void add_common_options(CLI::App& cmd, CommonOptions& opts);

/// Per-call milliseconds of each sample.
std::vector<double> time_calls(const std::function<void()>& fn, const CommonOptions& opts);

/// {"ms_median", "ms_min", "ms_max", "samples"} of the samples (median of an even count: mean of the middle two,
/// like Python's statistics.median).
nlohmann::json stats_ms(std::vector<double> ms);

/// Peak resident set of this process in MiB (getrusage ru_maxrss).
double peak_rss_mib();

/// Prints the record as one JSON line on stdout, adding "impl": "attend".
void emit(nlohmann::json record);

void add_matmul(CLI::App& bench, CommandTable& table);
void add_softmax(CLI::App& bench, CommandTable& table);

}  // namespace attend::cli::bench
