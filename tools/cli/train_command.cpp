// attend train --config FILE.yaml [--section.key value ...] [--resume] [--metrics FILE]: trains a model from a YAML
// config (flags override it), writing checkpoints into train.out; --resume continues from the last one there.
#include <fmt/core.h>

#include <memory>

#include "attend/core/threads.hpp"
#include "attend/train/checkpoint.hpp"
#include "attend/train/option_table.hpp"
#include "attend/train/progress.hpp"
#include "attend/train/stop_signal.hpp"
#include "attend/train/trainer.hpp"
#include "cli_util.hpp"
#include "commands.hpp"
#include "option_flags.hpp"
#include "train_report.hpp"

namespace attend::cli {
namespace {

struct TrainArgs {
  std::string config_path;
  bool resume = false;
  std::string metrics_path;
  train::TrainConfig config;
  std::unique_ptr<train::OptionTable> table;
  std::unique_ptr<OptionFlags> flags;
};

int run_train(TrainArgs& a) {
  train::StopSignals signals;  // a signal while the data is read still ends in a clean stop
  if (!a.config_path.empty()) {
    require_readable(a.config_path, "train: config file");
    a.table->read_yaml_file(a.config_path);
  }
  a.flags->apply();
  train::validate(a.config);
  if (a.config.train.threads > 0) set_num_threads(static_cast<int>(a.config.train.threads));

  std::optional<train::Checkpoint> from;
  std::optional<train::ModelBundle> saved;
  std::string from_path;
  if (a.resume) {
    train::CheckpointFolder folder(a.config.train.out, {.keep_last = a.config.train.keep_last});
    if (auto last = folder.latest()) {
      from_path = *last;
      from = train::load_checkpoint(from_path);
      saved = train::bundle_from_checkpoint(*from, from_path);
      fmt::print("resuming from {} (step {})\n", from_path, from->meta("step"));
    } else {
      fmt::print("--resume: no checkpoint in {} yet, starting from scratch\n", a.config.train.out);
    }
  }
  for (const std::string& f : {a.config.data.train, a.config.data.train_src, a.config.data.train_tgt,
                               a.config.data.valid, a.config.data.valid_src, a.config.data.valid_tgt}) {
    if (!f.empty()) require_readable(f, "train: corpus");
  }
  train::TrainingData data = train::prepare_data(a.config, saved ? &*saved : nullptr);
  print_data_report(data);
  train::Trainer trainer(a.config, std::move(data));
  if (from) trainer.resume(*from, from_path);
  fmt::print("model: {}; {} parameters\n", trainer.bundle().model->describe(),
             trainer.bundle().model->parameter_count());
  train::Progress progress(stdout, train::Progress::is_terminal(stdout), a.config.train.log_every);
  trainer.on_validation = [&progress](int64_t step, const train::ValidationResult& v) {
    progress.message(validation_line(step, v));
  };
  train::TrainResult r = trainer.run(progress);
  print_train_result(r);
  if (!a.metrics_path.empty()) write_metrics(a.metrics_path, train_metrics(r), {{"stop_reason", r.stop_reason}, {"parameter_digest", r.parameter_digest}});
  return r.stop_reason == "nan" ? 1 : 0;
}

}  // namespace

void add_train_command(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<TrainArgs>();
  args->table = std::make_unique<train::OptionTable>(train::train_option_table(args->config));
  CLI::App* cmd = app.add_subcommand("train", "Train a translation model from a YAML config (flags override it)");
  cmd->add_option("--config", args->config_path, "YAML config (sections model, data, optim, train)");
  cmd->add_flag("--resume", args->resume, "Continue from the last checkpoint in train.out");
  cmd->add_option("--metrics", args->metrics_path, "Write the final metrics as JSON to this file");
  args->flags = std::make_unique<OptionFlags>(*cmd, *args->table);
  cmd->callback([&table, args] { table.selected = [args] { return run_train(*args); }; });
}

}  // namespace attend::cli
