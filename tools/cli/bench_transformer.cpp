// attend bench transformer: one nn::TransformerEncoderLayer (ReLU, post-norm, dropout 0, batch-first) on x [B, N, C]
// f32, the workload of ../shared/anchors/py/transformer.py (torch.nn.TransformerEncoderLayer(512, 8, 2048,
// dropout=0, batch_first=True), x (16, 128, 512)).
//   fwd:    eval mode, under NoGradGuard (inference; the anchor's torch may take its fused "BetterTransformer" path)
//   fwdbwd: train mode (dropout 0), forward + backward with a fixed random upstream gradient [B, N, C]; x and every
//           parameter take gradients, forgotten before each call (as the anchor's zero_grad(set_to_none=True))
// Keys as the anchor: bench "transformer_layer", mode, threads, dropout, ms_*, samples, tokens_per_s_median (B·N /
// time), gflops_median/min/max (2·B·N·(4·C² + 2·C·F) for the projections and the feed-forward block + 4·B·H·N²·(C/H)
// for the attention core, 3× for fwdbwd), peak_rss_mib, rss_base_mib; plus batch, seq, d_model, heads, ffn.
//   attend bench transformer --mode fwdbwd --threads 2
#include <memory>
#include <string>

#include "attend/autograd/var.hpp"
#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/nn/transformer/encoder_layer.hpp"
#include "bench_common.hpp"

namespace attend::cli::bench {

namespace {

struct TransformerBenchOptions {
  CommonOptions common;
  std::string mode = "fwd";
  int64_t batch = 16;
  int64_t seq = 128;
  int64_t d_model = 512;
  int64_t heads = 8;
  int64_t ffn = 2048;
};

// The anchor's FLOP count of one call: the four attention projections and the two feed-forward GEMMs
// (2·tokens·(4·C² + 2·C·F)) plus the attention core (4·B·H·N²·d), 3× for fwdbwd.
double transformer_flop(const TransformerBenchOptions& o) {
  const double tokens = static_cast<double>(o.batch * o.seq), c = static_cast<double>(o.d_model);
  const double gemms = 2.0 * tokens * (4.0 * c * c + 2.0 * c * static_cast<double>(o.ffn));
  const AttentionShape core = {.batch = o.batch, .heads = o.heads, .n = o.seq, .head_dim = o.d_model / o.heads};
  return gemms * (o.mode == "fwd" ? 1.0 : 3.0) + attention_core_flop(core, o.mode);
}

int run_transformer(const TransformerBenchOptions& o) {
  set_num_threads(o.common.threads);
  const double rss_base = peak_rss_mib();  // before the module and the inputs
  const bool backward = o.mode == "fwdbwd";
  nn::TransformerEncoderLayer layer({.d_model = o.d_model,
                                     .nhead = o.heads,
                                     .dim_feedforward = o.ffn,
                                     .dropout = 0.0,
                                     .activation = nn::TransformerActivation::relu,
                                     .batch_first = true,
                                     .norm_first = false,
                                     .seed = 0});
  const Shape shape = {o.batch, o.seq, o.d_model};  // [B, N, C]
  Rng rng(1);
  const Var x(Tensor::randn(shape, rng), backward);
  const Tensor upstream = backward ? Tensor::randn(shape, rng) : Tensor();  // [B, N, C], the output's gradient
  const std::vector<double> ms = time_module(layer, [&] { return layer.forward(x); }, upstream, {x}, o.common);
  nlohmann::json rec = {{"bench", "transformer_layer"},
                        {"mode", o.mode},
                        {"threads", o.common.threads},
                        {"dropout", 0.0},
                        {"batch", o.batch},
                        {"seq", o.seq},
                        {"d_model", o.d_model},
                        {"heads", o.heads},
                        {"ffn", o.ffn}};
  rec.update(stats_ms(ms));
  const double flop = transformer_flop(o);
  auto gflops = [&](const char* key) { return flop / (rec[key].get<double>() * 1e-3) / 1e9; };
  rec["tokens_per_s_median"] = static_cast<double>(o.batch * o.seq) / (rec["ms_median"].get<double>() * 1e-3);
  rec["gflops_median"] = gflops("ms_median");
  rec["gflops_min"] = gflops("ms_max");
  rec["gflops_max"] = gflops("ms_min");
  rec["peak_rss_mib"] = peak_rss_mib();
  rec["rss_base_mib"] = rss_base;
  emit(rec);
  return 0;
}

}  // namespace

void add_transformer(CLI::App& bench, CommandTable& table) {
  auto opts = std::make_shared<TransformerBenchOptions>();
  CLI::App* cmd =
      bench.add_subcommand("transformer", "nn::TransformerEncoderLayer on x [B, N, C] f32 (anchor: transformer.py)");
  add_mode_option(*cmd, opts->mode);
  add_positive_option(*cmd, "--batch", opts->batch, "Batch size B", 4096);
  add_positive_option(*cmd, "--seq", opts->seq, "Sequence length N", 65536);
  add_positive_option(*cmd, "--d-model", opts->d_model, "Model width C (split into --heads heads of C / H)", 65536);
  add_positive_option(*cmd, "--heads", opts->heads, "Heads H (must divide --d-model)", 4096);
  add_positive_option(*cmd, "--ffn", opts->ffn, "Feed-forward width F", 1048576);
  add_common_options(*cmd, opts->common);
  cmd->callback([&table, opts] {
    check_heads_divide(opts->heads, opts->d_model, "--d-model");
    table.selected = [opts] { return run_transformer(*opts); };
  });
}

}  // namespace attend::cli::bench
