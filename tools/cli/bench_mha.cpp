// attend bench mha: nn::MultiHeadAttention self-attention on x [B, n, E] f32 with need_weights = false, the workload
// of ../shared/anchors/py/attention.py --variant mha (torch.nn.MultiheadAttention(E, H, dropout=0, batch_first)).
//   fwd:    eval mode, under NoGradGuard (inference)
//   fwdbwd: train mode (dropout 0), forward + backward with a fixed random upstream gradient [B, n, E]; x and every
//           parameter take gradients, forgotten before each call (as the anchor's zero_grad(set_to_none=True))
// Keys as the anchor: bench "attention", variant "mha", mode, n, threads, B, H, d (= E / H), ms_*, samples,
// gflops_core_median/min/max (the attention core alone), gflops_total_median (core + 8·B·n·E² FLOP of the four
// projections, 3× for fwdbwd), peak_rss_mib, rss_base_mib; plus E.
//   attend bench mha --n 512 --mode fwdbwd --threads 2
#include <memory>
#include <string>

#include "attend/autograd/var.hpp"
#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/nn/attention/multi_head_attention.hpp"
#include "bench_common.hpp"

namespace attend::cli::bench {

namespace {

struct MhaOptions {
  CommonOptions common;
  int64_t n = 512;
  std::string mode = "fwd";
  int64_t embed = 512;
  int64_t heads = 8;
  int64_t batch = 8;
};

int run_mha(const MhaOptions& o) {
  set_num_threads(o.common.threads);
  const double rss_base = peak_rss_mib();  // before the module and the inputs
  const bool backward = o.mode == "fwdbwd";
  nn::MultiHeadAttention mha({.embed_dim = o.embed, .num_heads = o.heads, .dropout = 0.0, .seed = 0});
  const Shape shape = {o.batch, o.n, o.embed};  // [B, n, E]
  Rng rng(1);
  const Var x(Tensor::randn(shape, rng), backward);
  const Tensor upstream = backward ? Tensor::randn(shape, rng) : Tensor();  // [B, n, E], the output's gradient
  const std::vector<double> ms = time_module(
      mha, [&] { return mha.forward(x, x, x, {}, {.need_weights = false}).output; }, upstream, {x}, o.common);
  const AttentionShape core = {.batch = o.batch, .heads = o.heads, .n = o.n, .head_dim = o.embed / o.heads};
  nlohmann::json rec = attention_record("mha", o.mode, core, o.common.threads, ms, rss_base);
  const double e = static_cast<double>(o.embed);
  const double projections = 8.0 * static_cast<double>(o.batch) * static_cast<double>(o.n) * e * e *
                             (backward ? 3.0 : 1.0);  // in_proj (3 GEMMs) + out_proj, 2 FLOP per multiply-add
  const double total = attention_core_flop(core, o.mode) + projections;
  rec["gflops_total_median"] = total / (rec["ms_median"].get<double>() * 1e-3) / 1e9;
  rec["E"] = o.embed;
  emit(rec);
  return 0;
}

}  // namespace

void add_mha(CLI::App& bench, CommandTable& table) {
  auto opts = std::make_shared<MhaOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "mha", "nn::MultiHeadAttention self-attention on x [B, n, E] f32 (anchor: attention.py --variant mha)");
  add_positive_option(*cmd, "--n", opts->n, "Sequence length n", 65536);
  add_mode_option(*cmd, opts->mode);
  add_positive_option(*cmd, "--embed", opts->embed, "Embedding width E (split into --heads heads of E / H)", 65536);
  add_positive_option(*cmd, "--heads", opts->heads, "Heads H (must divide --embed)", 4096);
  add_positive_option(*cmd, "--batch", opts->batch, "Batch size B", 4096);
  add_common_options(*cmd, opts->common);
  cmd->callback([&table, opts] {
    check_heads_divide(opts->heads, opts->embed, "--embed");
    table.selected = [opts] { return run_mha(*opts); };
  });
}

}  // namespace attend::cli::bench
