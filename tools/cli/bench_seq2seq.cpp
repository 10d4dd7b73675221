// attend bench seq2seq: one training step of an attention encoder-decoder (nn::Seq2Seq), the workload of
// ../shared/anchors/py/seq2seq.py (models bahdanau, luong_general, luong_dot).
//   step = Adam::zero_grad + teacher-forced forward + mean cross entropy over all B·Tt target tokens + backward +
//          Adam(lr 1e-3) step
// Data: random token ids in [0, vocab) from a fixed seed, no padding (every source has src-len tokens); the target is
// tgt-len + 1 random tokens, tgt_in = tokens [0, Tt), tgt_out = tokens [1, Tt]. Timing as the anchor (not
// common.bench): --warmup steps, then --steps steps timed one by one; then the forward alone under NoGradGuard
// (train mode), 2 untimed and 10 timed calls (fwd_nograd_ms_median).
// Configurations (the anchor's, as far as Seq2Seq's options go; what remains different is printed in "notes"):
//   bahdanau:      bidirectional GRU encoder (hidden/2 per direction), linear + tanh bridge, GRU decoder, additive
//                  scorer, Bahdanau placement (attend from s_{i−1}, context into the cell input), concat fusion
//   luong-general, luong-dot: bidirectional LSTM encoder, copy bridge ([h_fwd; h_bwd], [c_fwd; c_bwd]), LSTM
//                  decoder, general or dot scorer, Luong placement, concat fusion (tanh, no bias), input feeding
// Keys as the anchor: bench "seq2seq", model, threads, params, ms_median/min/max, samples,
// tgt_tokens_per_s_median/min/max (B·Tt / time), fwd_nograd_ms_median, peak_rss_mib; plus attention, batch, src_len,
// tgt_len, vocab, emb, hidden, enc_hidden, loss_first, loss_last, notes.
//   attend bench seq2seq --attention luong-general --batch 32 --src-len 30 --tgt-len 30 --threads 2
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/nn/rnn/seq2seq.hpp"
#include "attend/ops/loss.hpp"
#include "attend/optim/adam.hpp"
#include "bench_common.hpp"

namespace attend::cli::bench {

namespace {

struct Seq2SeqBenchOptions {
  std::string attention = "bahdanau";  // bahdanau, luong-general, luong-dot
  int64_t batch = 32;
  int64_t src_len = 30;
  int64_t tgt_len = 30;
  int64_t vocab = 8000;
  int64_t emb = 256;
  int64_t hidden = 512;  // the decoder's H; the encoder has H / 2 per direction
  int threads = 1;
  int warmup = 5;
  int steps = 20;
};

// What still differs from the anchor's model of the same name (seq2seq.py), for the record and the README.
const char* kBahdanauNotes =
    "output: anchor has a deep output t_i = tanh(W_r [s_i; c_i; E y_{i-1}] + b_r) (1280 -> 512), attend the concat "
    "fusion h*_i = tanh(W_out [c_i; s_i]) (1024 -> 512, no bias, no embedding input); bridge: anchor "
    "s_0 = tanh(W_init h_bwd + b) from the backward state only (256 -> 512), attend tanh(W_h [h_fwd; h_bwd] + b_h) "
    "(512 -> 512); so attend has 512 parameters fewer at the default sizes; attend is batch-first, the anchor "
    "seq-first";
const char* kLuongDotNotes =
    "same equations and parameters as the anchor (copy bridge, input feeding, tanh(W_c [ctx; h_t]) without bias, W_s "
    "with bias); attend is batch-first, the anchor seq-first";
const char* kLuongGeneralNotes =
    "same equations and parameters as the anchor (copy bridge, input feeding, tanh(W_c [ctx; h_t]) without bias, W_s "
    "with bias); general score: attend projects the query at each step, (W_a h_t) . h_s, the anchor the keys once, "
    "h_t . (W_a h_s): the same bilinear form with W_a transposed and the same FLOP count; attend is batch-first, the "
    "anchor seq-first";

nn::Seq2SeqOptions model_options(const Seq2SeqBenchOptions& o) {
  const bool luong = o.attention != "bahdanau";
  nn::Seq2SeqOptions m;
  m.src_vocab_size = o.vocab;
  m.tgt_vocab_size = o.vocab;
  m.embedding_dim = o.emb;
  m.hidden_size = o.hidden;
  m.encoder_hidden = o.hidden / 2;
  m.bidirectional = true;
  m.cell = luong ? nn::CellKind::lstm : nn::CellKind::gru;
  m.scorer = nn::scorer_of(o.attention == "bahdanau"        ? nn::ScoreKind::additive
                           : o.attention == "luong-general" ? nn::ScoreKind::general
                                                            : nn::ScoreKind::dot);
  m.placement = luong ? nn::AttentionPlacement::luong : nn::AttentionPlacement::bahdanau;
  m.fusion = nn::AttentionFusion::concat;
  m.input_feeding = luong;
  m.bridge = luong ? nn::BridgeKind::copy : nn::BridgeKind::linear;
  m.padding_idx = -1;  // the anchor's embeddings have no padding row
  m.seed = 0;
  return m;
}

Tensor random_tokens(Rng& rng, int64_t rows, int64_t cols, int64_t vocab) {
  std::vector<int64_t> ids(static_cast<size_t>(rows * cols));
  for (auto& id : ids) id = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(vocab)));
  return Tensor::from_vector<int64_t>(ids, {rows, cols});
}

double elapsed_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int run_seq2seq(const Seq2SeqBenchOptions& o) {
  set_num_threads(o.threads);
  nn::Seq2Seq model(model_options(o));
  model.train();
  optim::Adam adam(model.parameters(), {.lr = 1e-3});
  int64_t params = 0;
  for (const Var& p : model.parameters()) params += p.numel();

  Rng rng(1);
  const Tensor src = random_tokens(rng, o.batch, o.src_len, o.vocab);      // [B, Ts]
  const Tensor tgt = random_tokens(rng, o.batch, o.tgt_len + 1, o.vocab);  // [B, Tt + 1]
  const Tensor tgt_in = tgt.narrow(1, 0, o.tgt_len).contiguous();          // [B, Tt]
  const Tensor tgt_out = tgt.narrow(1, 1, o.tgt_len).contiguous();         // [B, Tt]

  auto step = [&] {
    adam.zero_grad();
    const Var logits = model.forward(src, Tensor(), tgt_in).logits;  // [B, Tt, V]
    const Var loss = cross_entropy(logits, tgt_out);                  // mean over B·Tt tokens
    loss.backward();
    adam.step();
    return static_cast<double>(loss.value().item<float>());
  };

  std::vector<double> ms, losses;  // losses of every step, warm-up included
  for (int i = 0; i < o.warmup + o.steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    losses.push_back(step());
    if (i >= o.warmup) ms.push_back(elapsed_ms(t0));
  }
  std::vector<double> fwd_ms;
  {
    NoGradGuard no_grad;
    for (int i = 0; i < 2; ++i) (void)model.forward(src, Tensor(), tgt_in);
    for (int i = 0; i < 10; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      (void)model.forward(src, Tensor(), tgt_in);
      fwd_ms.push_back(elapsed_ms(t0));
    }
  }

  std::string model_name = o.attention;
  std::replace(model_name.begin(), model_name.end(), '-', '_');  // the anchor's names: luong_general, luong_dot
  nlohmann::json rec = {{"bench", "seq2seq"},  {"model", model_name},  {"attention", o.attention},
                        {"threads", o.threads}, {"params", params},     {"batch", o.batch},
                        {"src_len", o.src_len}, {"tgt_len", o.tgt_len}, {"vocab", o.vocab},
                        {"emb", o.emb},         {"hidden", o.hidden},   {"enc_hidden", o.hidden / 2}};
  rec.update(stats_ms(ms));
  const double tokens = static_cast<double>(o.batch * o.tgt_len);
  rec["tgt_tokens_per_s_median"] = tokens / (rec["ms_median"].get<double>() * 1e-3);
  rec["tgt_tokens_per_s_min"] = tokens / (rec["ms_max"].get<double>() * 1e-3);
  rec["tgt_tokens_per_s_max"] = tokens / (rec["ms_min"].get<double>() * 1e-3);
  rec["fwd_nograd_ms_median"] = median_of(fwd_ms);
  rec["loss_first"] = losses.front();
  rec["loss_last"] = losses.back();
  rec["notes"] = o.attention == "bahdanau"        ? kBahdanauNotes
                 : o.attention == "luong-general" ? kLuongGeneralNotes
                                                  : kLuongDotNotes;
  rec["peak_rss_mib"] = peak_rss_mib();
  emit(rec);
  return 0;
}

}  // namespace

void add_seq2seq(CLI::App& bench, CommandTable& table) {
  auto opts = std::make_shared<Seq2SeqBenchOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "seq2seq", "nn::Seq2Seq training step with Adam (anchor: seq2seq.py --models bahdanau luong_general luong_dot)");
  cmd->add_option("--attention", opts->attention,
                  "bahdanau (GRU, additive), luong-general or luong-dot (LSTM, input feeding)")
      ->check(CLI::IsMember({"bahdanau", "luong-general", "luong-dot"}))
      ->capture_default_str();
  add_positive_option(*cmd, "--batch", opts->batch, "Batch size B");
  add_positive_option(*cmd, "--src-len", opts->src_len, "Source length Ts (no padding)");
  add_positive_option(*cmd, "--tgt-len", opts->tgt_len, "Target length Tt (teacher forcing over Tt steps)");
  add_positive_option(*cmd, "--vocab", opts->vocab, "Source and target vocabulary V");
  add_positive_option(*cmd, "--emb", opts->emb, "Embedding width E of both embeddings");
  add_positive_option(*cmd, "--hidden", opts->hidden,
                      "Decoder hidden H (even: the bidirectional encoder has H / 2 per direction)");
  add_threads_option(*cmd, opts->threads);
  cmd->add_option("--warmup", opts->warmup, "Untimed training steps before timing")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_option("--steps", opts->steps, "Timed training steps (each timed on its own)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->callback([&table, opts] {
    if (opts->hidden % 2 != 0) {
      throw CLI::ValidationError("--hidden", "must be even: the bidirectional encoder has --hidden / 2 per direction "
                                             "(got --hidden " + std::to_string(opts->hidden) + ")");
    }
    table.selected = [opts] { return run_seq2seq(*opts); };
  });
}

}  // namespace attend::cli::bench
