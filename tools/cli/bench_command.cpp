// attend bench <workload>: times one workload through attend's public API and prints one JSON line with the same
// keys as the anchor scripts (bench, workload fields, threads, ms_median, ms_min, ms_max, samples, peak_rss_mib,
// gflops_* where the anchor has them) plus "impl": "attend". bench/compare.sh runs it against the anchors.
//   attend bench matmul --n 1024 --threads 2
//   attend bench softmax --shape 8,8,512,512 --threads 2
//   attend bench attention --n 512 --mode fwdbwd --causal --threads 2
//   attend bench mha --n 512 --mode fwd --threads 2
//   attend bench transformer --mode fwdbwd --threads 2
//   attend bench capture --workload greedy --rounds 5 --threads 1
//   attend bench lstm --seq 50 --batch 32 --input 256 --hidden 512 --bidirectional --mode fwdbwd --threads 2
#include "bench_common.hpp"

namespace attend::cli {

void add_bench_command(CLI::App& app, CommandTable& table) {
  CLI::App* cmd = app.add_subcommand("bench", "Time a workload; print one JSON line per run (see bench/README.md)");
  cmd->require_subcommand(1);
  bench::add_matmul(*cmd, table);
  bench::add_softmax(*cmd, table);
  bench::add_attention(*cmd, table);
  bench::add_mha(*cmd, table);
  bench::add_transformer(*cmd, table);
  bench::add_rnn(*cmd, table);
  bench::add_seq2seq(*cmd, table);
  bench::add_capture(*cmd, table);
}

}  // namespace attend::cli
