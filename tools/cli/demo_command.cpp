// attend demo: the main job. Generates a date-normalisation corpus from a seed ("Tuesday, 24 November 2026",
// "11/24/26", "24 de noviembre de 2026" -> "2026-11-24"), trains a bidirectional GRU encoder with a Bahdanau
// attention GRU decoder on it, reports held-out exact match and shows sample translations with their attention.
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "attend/core/threads.hpp"
#include "attend/data/date_corpus.hpp"
#include "attend/explain/terminal_heatmap.hpp"
#include "attend/io/text_file.hpp"
#include "attend/train/checkpoint.hpp"
#include "attend/train/progress.hpp"
#include "attend/train/stop_signal.hpp"
#include "attend/train/trainer.hpp"
#include "attend/train/translator.hpp"
#include "cli_util.hpp"
#include "commands.hpp"
#include "demo_attention.hpp"
#include "train_report.hpp"

namespace attend::cli {
namespace {

constexpr int64_t kTrainExamples = 50000;
constexpr int64_t kHeldOutExamples = 2000;
constexpr int64_t kAlignmentExamples = 500;  // held-out examples whose attention alignment_accuracy checks

struct DemoArgs {
  double seconds = 60;
  int64_t steps = 0;
  int64_t threads = 1;  // 2 threads: 15% faster when the machine is idle, 10x slower when the other core is busy
                        // (libgomp spin-waits); 1 is the robust default (bench/results/2026-12-02-demo-2.md)
  std::string out = "demo-out";
  std::string metrics_path;
  bool resume = false;
  std::string dump_data;
  uint64_t seed = 1;
};

/// The demo's model and training settings (examples/configs/dates-rnn.yaml is the same as a config file).
train::TrainConfig demo_config(const DemoArgs& a) {
  train::TrainConfig c;
  c.model.type = "rnn-attention";
  c.model.cell = "gru";
  c.model.bidirectional = true;
  // Small and quick: 64 wide (PyTorch's anchor is 128) reaches 99.9% in about as many steps, each far cheaper.
  c.model.embedding = 32;
  c.model.hidden = 64;
  c.model.scorer = "additive";
  c.model.placement = "bahdanau";
  c.model.fusion = "concat";
  c.data.tokenizer = "char";
  c.data.max_batch_size = 64;
  c.data.batch_tokens = 64 * 64;
  c.data.bucketing = false;  // mixed formats in every batch: fewer steps to the target than length buckets
  c.optim.optimizer = "adam";
  c.optim.lr = 1e-2;
  c.optim.schedule = "step";  // x0.995 every step: fast early, then settles on the last 0.1%
  c.optim.step_size = 1;
  c.optim.gamma = 0.995;
  c.optim.clip_norm = 1.0;
  c.train.steps = a.steps;
  c.train.epochs = 1000;
  c.train.seconds = a.steps > 0 ? 0 : a.seconds;
  c.train.valid_every = 10;
  c.train.metric = "exact_match";
  c.train.target = a.steps > 0 ? 0 : 0.999;
  c.train.seed = a.seed;
  c.train.threads = a.threads;
  c.train.out = a.out;
  c.train.keep_last = 2;
  c.train.log_every = 25;
  return c;
}

std::vector<std::pair<std::string, std::string>> pairs_of(const std::vector<data::DateExample>& examples) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(examples.size());
  for (const auto& e : examples) pairs.emplace_back(e.source, e.target);
  return pairs;
}

std::string tsv_of(const std::vector<data::DateExample>& examples) {
  std::string text;
  for (const auto& e : examples) text += e.source + "\t" + e.target + "\n";
  return text;
}

std::vector<train::Translations> show_samples(train::ModelBundle& bundle,
                                              const std::vector<data::DateExample>& held_out) {
  std::vector<std::string> sources;
  for (size_t i = 0; i < held_out.size() && sources.size() < 4; i += held_out.size() / 4) {
    sources.push_back(held_out[i].source);
  }
  auto out = train::translate(bundle, sources, {});
  const bool color = train::Progress::is_terminal(stdout);
  for (const auto& t : out) {
    if (t.hypotheses.empty()) continue;
    const auto& h = t.hypotheses[0];
    fmt::print("\n{}  ->  {}\n", t.source, h.text);
    fmt::print("{}", explain::terminal_heatmap(h.attention, h.target_pieces, t.source_pieces, color));
  }
  return out;
}

int run_demo(const DemoArgs& a) {
  ATTEND_CHECK(a.seconds > 0, "demo: --seconds must be > 0, got {}", a.seconds);
  ATTEND_CHECK(a.steps >= 0, "demo: --steps must be >= 0, got {}", a.steps);
  ATTEND_CHECK(a.threads >= 1, "demo: --threads must be >= 1, got {}", a.threads);
  std::vector<data::DateExample> train_set = data::generate_dates(a.seed, kTrainExamples);
  std::vector<data::DateExample> held_out = data::generate_dates(a.seed + 1000, kHeldOutExamples);
  if (!a.dump_data.empty()) {
    std::filesystem::create_directories(a.dump_data);
    write_text_file(a.dump_data + "/train.tsv", tsv_of(train_set));
    write_text_file(a.dump_data + "/heldout.tsv", tsv_of(held_out));
    fmt::print("wrote {} training and {} held-out examples to {}/train.tsv and {}/heldout.tsv\n", train_set.size(),
               held_out.size(), a.dump_data, a.dump_data);
    return 0;
  }
  train::StopSignals signals;  // a signal while the corpus is prepared still ends in a clean stop
  train::TrainConfig config = demo_config(a);
  set_num_threads(static_cast<int>(a.threads));
  std::optional<train::Checkpoint> from;
  std::optional<train::ModelBundle> saved;
  std::string from_path;
  if (a.resume) {
    train::CheckpointFolder folder(a.out, {.keep_last = config.train.keep_last});
    if (auto last = folder.latest()) {
      from_path = *last;
      from = train::load_checkpoint(from_path);
      saved = train::bundle_from_checkpoint(*from, from_path);
      fmt::print("resuming from {} (step {})\n", from_path, from->meta("step"));
    }
  }
  train::TrainingData data = train::prepare_data(config, data::from_pairs(pairs_of(train_set), "dates-train"),
                                                 data::from_pairs(pairs_of(held_out), "dates-heldout"),
                                                 saved ? &*saved : nullptr);
  print_data_report(data);
  train::Trainer trainer(config, std::move(data));
  if (from) trainer.resume(*from, from_path);
  fmt::print("model: {}; {} parameters; {} threads\n", trainer.bundle().model->describe(),
             trainer.bundle().model->parameter_count(), a.threads);
  train::Progress progress(stdout, train::Progress::is_terminal(stdout), config.train.log_every);
  trainer.on_validation = [&progress](int64_t step, const train::ValidationResult& v) {
    progress.message(validation_line(step, v));
  };
  train::TrainResult r = trainer.run(progress);
  print_train_result(r);
  if (r.last_validation) {
    fmt::print("held-out exact match: {:.2f}% of {} dates\n", 100 * r.last_validation->exact_match,
               r.last_validation->sentences);
  }
  const std::vector<train::Translations> samples = show_samples(trainer.bundle(), held_out);
  const std::vector<std::string> pictures = write_sample_pictures(a.out, samples);
  if (!pictures.empty()) {
    fmt::print("\nattention pictures: {}/attention.html, {}/attention-*.png and .svg\n", a.out, a.out);
  }
  const std::vector<data::DateExample> checked(held_out.begin(), held_out.begin() + kAlignmentExamples);
  const AlignmentAccuracy alignment = alignment_accuracy(trainer.bundle(), checked);
  fmt::print("alignment accuracy: {:.2f}% of {} output digits attend most strongly inside their date field\n",
             100 * alignment.accuracy, alignment.digits);
  std::map<std::string, double> metrics = train_metrics(r);
  metrics["alignment_accuracy"] = alignment.accuracy;
  fmt::print("\nmodel saved in {}/ (best.safetensors; try `attend translate {}/best.safetensors`)\n", a.out, a.out);
  if (!a.metrics_path.empty()) write_metrics(a.metrics_path, metrics, {{"stop_reason", r.stop_reason}, {"parameter_digest", r.parameter_digest}});
  return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand("demo", "Train an attention seq2seq on generated dates and show its attention");
  cmd->add_option("--seconds", args->seconds, "Training time budget (stops earlier at 99.9% held-out exact match)")
      ->capture_default_str();
  cmd->add_option("--steps", args->steps, "A fixed number of steps instead (0: use --seconds)")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (1 is fastest for this small model today)")->capture_default_str();
  cmd->add_option("--out", args->out, "Folder for checkpoints")->capture_default_str();
  cmd->add_option("--metrics", args->metrics_path, "Write the metrics as JSON to this file");
  cmd->add_flag("--resume", args->resume, "Continue from the last checkpoint in --out");
  cmd->add_option("--dump-data", args->dump_data, "Write the generated corpus as DIR/train.tsv, DIR/heldout.tsv and exit");
  cmd->add_option("--seed", args->seed, "Seed of the corpus and the model")->capture_default_str();
  cmd->callback([&table, args] { table.selected = [args] { return run_demo(*args); }; });
}

}  // namespace attend::cli
