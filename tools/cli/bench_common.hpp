// Shared pieces of `attend bench <workload>`: the timing loop (the same protocol as the anchor scripts'
// common.bench(): warm-up by calls and seconds, samples of >= 50 ms each, until enough samples and seconds), the
// statistics, peak RSS, and the JSON line every workload prints.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/nn/module.hpp"
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

/// A count option in [1, max] with its default shown (--batch, --seq, ...).
void add_positive_option(CLI::App& cmd, const std::string& flag, int64_t& value, const std::string& help,
                         int64_t max = 1000000);
/// Refuses (CLI::ValidationError on --heads) a head count that does not divide the model width given by width_flag.
void check_heads_divide(int64_t heads, int64_t width, const std::string& width_flag);
/// --threads in [1, 1024], for workloads without the common options.
void add_threads_option(CLI::App& cmd, int& threads);

/// Per-call milliseconds of each sample.
std::vector<double> time_calls(const std::function<void()>& fn, const CommonOptions& opts);

/// Times a module's call the anchors' way: without `upstream`, eval mode under NoGradGuard; with it, train mode,
/// the module's (and the inputs') gradients forgotten before each call (as zero_grad(set_to_none=True)), then
/// forward() backpropagated from upstream. `inputs` are the Vars that take gradients besides the parameters.
std::vector<double> time_module(nn::Module& module, const std::function<Var()>& forward, const Tensor& upstream,
                                const std::vector<Var>& inputs, const CommonOptions& opts);

/// {"ms_median", "ms_min", "ms_max", "samples"} of the samples (median of an even count: mean of the middle two,
/// like Python's statistics.median).
nlohmann::json stats_ms(std::vector<double> ms);

/// Peak resident set of this process in MiB (getrusage ru_maxrss).
double peak_rss_mib();

/// Prints the record as one JSON line on stdout, adding "impl": "attend".
void emit(nlohmann::json record);

void add_matmul(CLI::App& bench, CommandTable& table);
void add_softmax(CLI::App& bench, CommandTable& table);
void add_attention(CLI::App& bench, CommandTable& table);
void add_mha(CLI::App& bench, CommandTable& table);
/// `bench transformer` (bench_transformer.cpp).
void add_transformer(CLI::App& bench, CommandTable& table);
/// `bench lstm` and `bench gru` (bench_rnn.cpp).
void add_rnn(CLI::App& bench, CommandTable& table);
/// `bench seq2seq` (bench_seq2seq.cpp).
void add_seq2seq(CLI::App& bench, CommandTable& table);
/// `bench capture` (bench_capture.cpp).
void add_capture(CLI::App& bench, CommandTable& table);

// --- shared by bench attention, mha and transformer (defined in bench_attention.cpp) ---------------------------------

/// The attention core's geometry: q, k, v [batch, heads, n, head_dim].
struct AttentionShape {
  int64_t batch = 8;
  int64_t heads = 8;
  int64_t n = 512;
  int64_t head_dim = 64;
};

/// Registers --mode fwd|fwdbwd (anything else is rejected by CLI11 with the accepted values).
void add_mode_option(CLI::App& cmd, std::string& mode);

/// FLOP of the attention core as the anchor counts them: 4·B·H·n²·d forward (QKᵀ and PV), 3× that for "fwdbwd".
double attention_core_flop(const AttentionShape& shape, const std::string& mode);

/// The record of ../shared/anchors/py/attention.py: bench "attention", variant, mode, n, threads, B, H, d, ms_*,
/// samples, gflops_core_median/min/max, peak_rss_mib (now) and rss_base_mib (measured before the inputs).
nlohmann::json attention_record(const std::string& variant, const std::string& mode, const AttentionShape& shape,
                                int threads, const std::vector<double>& ms, double rss_base_mib);

}  // namespace attend::cli::bench
