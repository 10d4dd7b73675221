// attend bench lstm | gru: nn::RNN (mode lstm or gru, one layer, time-first as torch's default) on x [T, B, I] f32,
// the workload of ../shared/anchors/py/rnn.py (torch.nn.LSTM / torch.nn.GRU(input, hidden, bidirectional)).
//   fwd:    eval mode, under NoGradGuard (inference)
//   fwdbwd: train mode, forward + backward of the output with a fixed random upstream gradient [T, B, D·hidden];
//           x takes no gradient (as from a frozen embedding), parameter gradients are forgotten before each call
// Keys as the anchor: bench "rnn", cell ("LSTM" or "GRU"), bidirectional, mode, threads, seq, batch, input, hidden,
// ms_median/min/max, samples, tokens_per_s_median/min/max (seq·batch / time), gflops_median (GEMM work only:
// gates·2·hidden·(input + hidden) per token and direction, gates 4 for LSTM and 3 for GRU, 3× for fwdbwd),
// peak_rss_mib.
//   attend bench lstm --seq 50 --batch 32 --input 256 --hidden 512 --bidirectional --mode fwdbwd --threads 2
#include <memory>
#include <string>

#include "attend/autograd/var.hpp"
#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/nn/rnn/rnn.hpp"
#include "bench_common.hpp"

namespace attend::cli::bench {

namespace {

struct RnnBenchOptions {
  CommonOptions common;
  std::string cell;  // "LSTM" or "GRU", as the anchor prints it
  int64_t seq = 50;
  int64_t batch = 32;
  int64_t input = 256;
  int64_t hidden = 512;
  bool bidirectional = false;
  std::string mode = "fwd";
};

int run_rnn(const RnnBenchOptions& o) {
  set_num_threads(o.common.threads);
  const bool lstm = o.cell == "LSTM", backward = o.mode == "fwdbwd";
  const int64_t dirs = o.bidirectional ? 2 : 1;
  nn::RNN rnn({.mode = lstm ? nn::CellKind::lstm : nn::CellKind::gru,
               .input_size = o.input,
               .hidden_size = o.hidden,
               .batch_first = false,
               .bidirectional = o.bidirectional,
               .seed = 0});
  Rng rng(1);
  const Var x(Tensor::randn({o.seq, o.batch, o.input}, rng));  // [T, B, I]
  const Tensor upstream = backward ? Tensor::randn({o.seq, o.batch, dirs * o.hidden}, rng) : Tensor();  // [T, B, D·H]
  const std::vector<double> ms = time_module(rnn, [&] { return rnn.forward(x).output; }, upstream, {}, o.common);
  nlohmann::json rec = {{"bench", "rnn"},     {"cell", o.cell},     {"bidirectional", o.bidirectional},
                        {"mode", o.mode},     {"threads", o.common.threads}, {"seq", o.seq},
                        {"batch", o.batch},   {"input", o.input},   {"hidden", o.hidden}};
  rec.update(stats_ms(ms));
  const double tokens = static_cast<double>(o.seq * o.batch);
  const double gates = lstm ? 4.0 : 3.0;
  const double flop = gates * 2.0 * static_cast<double>(o.hidden) * static_cast<double>(o.input + o.hidden) *
                      tokens * static_cast<double>(dirs) * (backward ? 3.0 : 1.0);
  const double median_s = rec["ms_median"].get<double>() * 1e-3;
  rec["tokens_per_s_median"] = tokens / median_s;
  rec["tokens_per_s_min"] = tokens / (rec["ms_max"].get<double>() * 1e-3);
  rec["tokens_per_s_max"] = tokens / (rec["ms_min"].get<double>() * 1e-3);
  rec["gflops_median"] = flop / median_s / 1e9;
  rec["peak_rss_mib"] = peak_rss_mib();
  emit(rec);
  return 0;
}

void add_one(CLI::App& bench, CommandTable& table, const std::string& name, const std::string& cell) {
  auto opts = std::make_shared<RnnBenchOptions>();
  opts->cell = cell;
  CLI::App* cmd = bench.add_subcommand(
      name, "nn::RNN (" + name + ", one layer) on x [seq, batch, input] f32 (anchor: rnn.py, torch.nn." + cell + ")");
  add_positive_option(*cmd, "--seq", opts->seq, "Sequence length T", 65536);
  add_positive_option(*cmd, "--batch", opts->batch, "Batch size B", 65536);
  add_positive_option(*cmd, "--input", opts->input, "Input width I", 65536);
  add_positive_option(*cmd, "--hidden", opts->hidden, "Hidden width H", 65536);
  cmd->add_flag("--bidirectional", opts->bidirectional, "Run both directions (output width 2·H)");
  add_mode_option(*cmd, opts->mode);
  add_common_options(*cmd, opts->common);
  cmd->callback([&table, opts] { table.selected = [opts] { return run_rnn(*opts); }; });
}

}  // namespace

void add_rnn(CLI::App& bench, CommandTable& table) {
  add_one(bench, table, "lstm", "LSTM");
  add_one(bench, table, "gru", "GRU");
}

}  // namespace attend::cli::bench
