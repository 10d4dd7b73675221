// attend bench matmul: attend::matmul on two [n, n] f32 matrices (a fresh output each call, as torch.matmul(a, b)).
// Keys as anchors/py/matmul.py: bench, dtype, n, threads, ms_*, samples, gflops_median/min/max (2n³ FLOP per call).
#include <memory>

#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/tensor/linalg.hpp"
#include "bench_common.hpp"

namespace attend::cli::bench {

namespace {

struct MatmulOptions {
  CommonOptions common;
  int64_t n = 1024;
};

int run_matmul(const MatmulOptions& o) {
  set_num_threads(o.common.threads);
  Rng rng(0);
  const Tensor a = Tensor::randn({o.n, o.n}, rng);
  const Tensor b = Tensor::randn({o.n, o.n}, rng);
  const auto ms = time_calls([&] { (void)matmul(a, b); }, o.common);
  nlohmann::json rec = {{"bench", "matmul"}, {"dtype", "float32"}, {"n", o.n}, {"threads", o.common.threads}};
  rec.update(stats_ms(ms));
  const double flop = 2.0 * static_cast<double>(o.n) * static_cast<double>(o.n) * static_cast<double>(o.n);
  auto gflops = [&](double ms_per_call) { return flop / (ms_per_call * 1e-3) / 1e9; };
  rec["gflops_median"] = gflops(rec["ms_median"].get<double>());
  rec["gflops_min"] = gflops(rec["ms_max"].get<double>());
  rec["gflops_max"] = gflops(rec["ms_min"].get<double>());
  rec["peak_rss_mib"] = peak_rss_mib();
  emit(rec);
  return 0;
}

}  // namespace

void add_matmul(CLI::App& bench, CommandTable& table) {
  auto opts = std::make_shared<MatmulOptions>();
  CLI::App* cmd = bench.add_subcommand("matmul", "attend::matmul of two [n, n] f32 matrices");
  cmd->add_option("--n", opts->n, "Matrix size n (the matrices are [n, n])")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}))
      ->capture_default_str();
  add_common_options(*cmd, opts->common);
  cmd->callback([&table, opts] { table.selected = [opts] { return run_matmul(*opts); }; });
}

}  // namespace attend::cli::bench
