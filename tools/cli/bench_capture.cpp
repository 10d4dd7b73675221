// attend bench capture: does attention capture cost anything when nothing is selected? Times one Transformer
// workload with no capture request and with two requests, alternating the variants round by round (so the noise of
// a shared machine hits them alike), and prints one JSON line per variant.
//   workload greedy:  greedy decoding of B random sources of Ts tokens, at most Tt output tokens (the same outputs in
//                     every variant: capture never changes them)
//   workload forward: a teacher-forced forward without gradients (eval mode) of B sources and B targets of Tt tokens
//   variants: none (empty request: the code path of attend before capture existed), cross (the last decoder layer's
//             cross-attention, all heads: what `attend explain` asks by default), all (every kind, layer and head)
// Keys: bench "capture", workload, variant, threads, batch, src_len, tgt_len, d_model, heads, layers, vocab, rounds,
// calls, ms_median/min/max, samples, ratio_to_none (this variant's median / none's), tokens (greedy: produced).
//   attend bench capture --workload greedy --rounds 5 --threads 1
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/decode/model_adapters.hpp"
#include "attend/decode/search.hpp"
#include "bench_common.hpp"

namespace attend::cli::bench {

namespace {

struct CaptureBenchOptions {
  std::string workload = "greedy";
  int64_t batch = 8, src_len = 24, tgt_len = 24, d_model = 128, heads = 4, layers = 3, vocab = 1000;
  int rounds = 5, calls = 3, threads = 1;
};

std::vector<int64_t> all_of(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

nn::AttentionCapture capture_of(const std::string& variant, const CaptureBenchOptions& o) {
  nn::AttentionCapture c;
  if (variant == "cross") c.cross = {.layers = {o.layers - 1}, .heads = {0, o.heads}};
  if (variant == "all") {
    for (nn::CaptureKind kind : {nn::CaptureKind::encoder_self, nn::CaptureKind::decoder_self, nn::CaptureKind::cross})
      c.of(kind) = {.layers = all_of(o.layers), .heads = {0, o.heads}};
  }
  return c;
}

Tensor random_tokens(Rng& rng, int64_t rows, int64_t cols, int64_t vocab) {
  std::vector<int64_t> ids(static_cast<size_t>(rows * cols));
  for (auto& id : ids) id = 4 + static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(vocab - 4)));  // no specials
  return Tensor::from_vector<int64_t>(ids, {rows, cols});
}

int run_capture(const CaptureBenchOptions& o) {
  set_num_threads(o.threads);
  nn::Transformer model({.src_vocab = o.vocab, .tgt_vocab = o.vocab, .d_model = o.d_model, .nhead = o.heads,
                         .num_encoder_layers = o.layers, .num_decoder_layers = o.layers,
                         .dim_feedforward = 4 * o.d_model, .seed = 1});
  model.eval();
  Rng rng(2);
  const Tensor src = random_tokens(rng, o.batch, o.src_len, o.vocab);     // [B, Ts]
  const Tensor tgt_in = random_tokens(rng, o.batch, o.tgt_len, o.vocab);  // [B, Tt]
  auto decoding = decode::decoding_model(model);
  int64_t tokens = 0;
  auto run = [&](const nn::AttentionCapture& capture) {
    if (o.workload == "forward") {
      NoGradGuard no_grad;
      (void)model.forward(src, Tensor(), tgt_in, capture);
      return;
    }
    decode::SearchOptions s;
    s.max_length = o.tgt_len;
    s.max_length_offset = o.tgt_len;
    s.capture = capture;
    tokens = 0;
    for (const auto& list : decode::greedy_search(*decoding, src, Tensor(), s)) {
      tokens += static_cast<int64_t>(list.front().attention.size(0));
    }
  };
  const std::vector<std::string> variants = {"none", "cross", "all"};
  std::vector<std::vector<double>> ms(variants.size());
  for (size_t v = 0; v < variants.size(); ++v) run(capture_of(variants[v], o));  // warm-up
  for (int r = 0; r < o.rounds; ++r) {
    for (size_t v = 0; v < variants.size(); ++v) {
      const nn::AttentionCapture capture = capture_of(variants[v], o);
      for (int c = 0; c < o.calls; ++c) {
        const auto t0 = std::chrono::steady_clock::now();
        run(capture);
        ms[v].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
    }
  }
  double none_median = 0;
  for (size_t v = 0; v < variants.size(); ++v) {
    nlohmann::json rec = {{"bench", "capture"}, {"workload", o.workload}, {"variant", variants[v]},
                          {"threads", o.threads}, {"batch", o.batch},       {"src_len", o.src_len},
                          {"tgt_len", o.tgt_len}, {"d_model", o.d_model},   {"heads", o.heads},
                          {"layers", o.layers},   {"vocab", o.vocab},       {"rounds", o.rounds},
                          {"calls", o.calls}};
    rec.update(stats_ms(ms[v]));
    if (v == 0) none_median = rec["ms_median"].get<double>();
    rec["ratio_to_none"] = rec["ms_median"].get<double>() / none_median;
    if (o.workload == "greedy") rec["tokens"] = tokens;
    rec["peak_rss_mib"] = peak_rss_mib();
    emit(rec);
  }
  return 0;
}

}  // namespace

void add_capture(CLI::App& bench, CommandTable& table) {
  auto opts = std::make_shared<CaptureBenchOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "capture", "Transformer greedy decoding or forward with no attention capture vs. with one, alternating");
  cmd->add_option("--workload", opts->workload, "greedy (decoding) or forward (teacher forcing, no gradients)")
      ->check(CLI::IsMember({"greedy", "forward"}))
      ->capture_default_str();
  add_positive_option(*cmd, "--batch", opts->batch, "Sources B");
  add_positive_option(*cmd, "--src-len", opts->src_len, "Source length Ts");
  add_positive_option(*cmd, "--tgt-len", opts->tgt_len, "Target length Tt (greedy: the maximum output length)");
  add_positive_option(*cmd, "--d-model", opts->d_model, "Model width C (ffn 4 C)");
  add_positive_option(*cmd, "--heads", opts->heads, "Attention heads H (dividing C)");
  add_positive_option(*cmd, "--layers", opts->layers, "Encoder and decoder layers L each");
  cmd->add_option("--vocab", opts->vocab, "Source and target vocabulary V")
      ->check(CLI::Range(int64_t{5}, int64_t{1000000}))
      ->capture_default_str();
  cmd->add_option("--rounds", opts->rounds, "Rounds; each times every variant in turn")
      ->check(CLI::Range(3, 1000))
      ->capture_default_str();
  cmd->add_option("--calls", opts->calls, "Timed calls per variant and round")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  add_threads_option(*cmd, opts->threads);
  cmd->callback([&table, opts] { table.selected = [opts] { return run_capture(*opts); }; });
}

}  // namespace attend::cli::bench
