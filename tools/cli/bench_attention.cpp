// attend bench attention: nn::scaled_dot_product_attention (--impl auto: the fused kernel; composite: matmul, scale,
// mask, softmax, matmul) on q, k, v [B, H, n, d] f32, the workload of ../shared/anchors/py/attention.py variants
// naive and causal.
//   fwd:    the forward under NoGradGuard (inference; no graph is recorded)
//   fwdbwd: forward + backward with a fixed random upstream gradient [B, H, n, d]; q, k, v take gradients, which are
//           forgotten before each call (as the anchor sets .grad = None)
//   --causal: AttentionMask::causal(), -inf above the diagonal (the composite computes the full n × n scores, as the
//           anchor's masked_fill_ does; the fused kernel skips the tiles above the diagonal)
//   --dropout p: training mode with dropout p on the weights (fused: drawn in the tiles; composite: the dropout op);
//           the record gets "dropout": p. The anchor has no such variant: compare --impl fused with composite.
//   --precision bf16: the fused op's products on bf16 inputs (fwd and bwd); the record gets "precision": "bf16", and
//           its anchor is bench/anchors/attention_bf16.py (the same naive attention on torch.bfloat16 tensors).
// Keys as the anchor: bench, variant (naive | causal), mode, n, threads, B, H, d, ms_*, samples,
// gflops_core_median/min/max (4·B·H·n²·d FLOP forward, 3× that for fwdbwd), peak_rss_mib, rss_base_mib.
//   attend bench attention --n 2048 --mode fwdbwd --causal --threads 2
#include <memory>
#include <string>

#include "attend/autograd/var.hpp"
#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/nn/attention/mask.hpp"
#include "bench_common.hpp"

namespace attend::cli::bench {

namespace {

struct AttentionOptions {
  CommonOptions common;
  int64_t n = 512;
  std::string mode = "fwd";
  bool causal = false;
  int64_t batch = 8;
  int64_t heads = 8;
  int64_t head_dim = 64;
  std::string impl = "auto";
  double dropout = 0.0;
  std::string precision = "f32";
};

int run_attention(const AttentionOptions& o) {
  set_num_threads(o.common.threads);
  const double rss_base = peak_rss_mib();  // before the inputs: the process's footprint so far
  const bool backward = o.mode == "fwdbwd";
  const bool bf16 = o.precision == "bf16";
  ATTEND_CHECK(!bf16 || o.impl != "composite", "bench attention: --precision bf16 runs only the fused kernel, not "
               "--impl composite");
  const Shape shape = {o.batch, o.heads, o.n, o.head_dim};  // [B, H, n, d]
  Rng rng(0);
  const Var q(Tensor::randn(shape, rng), backward);
  const Var k(Tensor::randn(shape, rng), backward);
  const Var v(Tensor::randn(shape, rng), backward);
  const nn::AttentionMask mask = o.causal ? nn::AttentionMask::causal() : nn::AttentionMask();
  Rng drop_rng(1);
  const nn::ScaledDotProductOptions sdpa{.dropout = o.dropout,
                                         .training = o.dropout > 0.0,
                                         .rng = &drop_rng,
                                         .implementation = o.impl == "fused"       ? nn::AttentionImpl::fused
                                                           : o.impl == "composite" ? nn::AttentionImpl::composite
                                                                                   : nn::AttentionImpl::automatic,
                                         .precision = bf16 ? AttentionPrecision::bf16 : AttentionPrecision::f32};
  std::vector<double> ms;
  if (backward) {
    const Tensor upstream = Tensor::randn(shape, rng);  // [B, H, n, d], the gradient of the context
    ms = time_calls(
        [&] {
          q.zero_grad();
          k.zero_grad();
          v.zero_grad();
          nn::scaled_dot_product_attention(q, k, v, mask, sdpa).context.backward(upstream);
        },
        o.common);
  } else {
    ms = time_calls(
        [&] {
          NoGradGuard no_grad;
          (void)nn::scaled_dot_product_attention(q, k, v, mask, sdpa);
        },
        o.common);
  }
  nlohmann::json rec = attention_record(o.causal ? "causal" : "naive", o.mode,
                                        {.batch = o.batch, .heads = o.heads, .n = o.n, .head_dim = o.head_dim},
                                        o.common.threads, ms, rss_base);
  if (o.impl != "auto") rec["attention_impl"] = o.impl;  // the default record keeps the anchor's keys
  if (o.dropout > 0.0) rec["dropout"] = o.dropout;
  if (bf16) rec["precision"] = "bf16";
  emit(rec);
  return 0;
}

}  // namespace

nlohmann::json attention_record(const std::string& variant, const std::string& mode, const AttentionShape& s,
                                int threads, const std::vector<double>& ms, double rss_base_mib) {
  nlohmann::json rec = {{"bench", "attention"}, {"variant", variant}, {"mode", mode}, {"n", s.n},
                        {"threads", threads},   {"B", s.batch},       {"H", s.heads},   {"d", s.head_dim}};
  rec.update(stats_ms(ms));
  const double core_flop = attention_core_flop(s, mode);
  auto gflops = [&](const char* key) { return core_flop / (rec[key].get<double>() * 1e-3) / 1e9; };
  rec["gflops_core_median"] = gflops("ms_median");
  rec["gflops_core_min"] = gflops("ms_max");
  rec["gflops_core_max"] = gflops("ms_min");
  rec["peak_rss_mib"] = peak_rss_mib();
  rec["rss_base_mib"] = rss_base_mib;
  return rec;
}

double attention_core_flop(const AttentionShape& s, const std::string& mode) {
  const double mult = mode == "fwd" ? 1.0 : 3.0;  // backward: two GEMMs for each of QKᵀ and PV
  const auto b = static_cast<double>(s.batch), h = static_cast<double>(s.heads), n = static_cast<double>(s.n);
  return 4.0 * b * h * n * n * static_cast<double>(s.head_dim) * mult;
}

void add_attention(CLI::App& bench, CommandTable& table) {
  auto opts = std::make_shared<AttentionOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "attention", "nn::scaled_dot_product_attention on q, k, v [B, H, n, d] f32 (anchor: attention.py naive/causal)");
  cmd->add_option("--n", opts->n, "Sequence length n (n queries attend to n keys)")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}))
      ->capture_default_str();
  add_mode_option(*cmd, opts->mode);
  cmd->add_flag("--causal", opts->causal, "Causal mask: query i sees keys j <= i (variant \"causal\")");
  cmd->add_option("--batch", opts->batch, "Batch size B")->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--heads", opts->heads, "Heads H")->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--head-dim", opts->head_dim, "Head width d")->check(CLI::Range(int64_t{1}, int64_t{65536}))
      ->capture_default_str();
  cmd->add_option("--impl", opts->impl,
                  "auto: the fused kernel where it applies (f32); composite: matmul-softmax-matmul; "
                  "fused: always the fused kernel")
      ->check(CLI::IsMember({"auto", "composite", "fused"}))
      ->capture_default_str();
  cmd->add_option("--dropout", opts->dropout, "Dropout p on the weights, in training mode (0: eval, no dropout)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  cmd->add_option("--precision", opts->precision,
                  "f32, or bf16: the fused kernel's products on bf16 inputs (AVX512-BF16), forward and backward")
      ->check(CLI::IsMember({"f32", "bf16"}))
      ->capture_default_str();
  add_common_options(*cmd, opts->common);
  cmd->callback([&table, opts] { table.selected = [opts] { return run_attention(*opts); }; });
}

void add_mode_option(CLI::App& cmd, std::string& mode) {
  cmd.add_option("--mode", mode, "fwd: no-grad forward; fwdbwd: forward + backward with a random upstream gradient")
      ->check(CLI::IsMember({"fwd", "fwdbwd"}))
      ->capture_default_str();
}

}  // namespace attend::cli::bench
