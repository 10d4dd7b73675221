// attend info CHECKPOINT [--config]: what a checkpoint holds: architecture, parameter count, vocabularies,
// tokenizers, training state (step, epoch, best metric, last metrics) and, with --config, the effective YAML.
#include <fmt/core.h>

#include <memory>

#include "attend/train/model_bundle.hpp"
#include "cli_util.hpp"
#include "commands.hpp"

namespace attend::cli {
namespace {

struct InfoArgs {
  std::string checkpoint;
  bool config = false;
};

std::string meta_or(const train::Checkpoint& c, const char* key, const char* fallback) {
  auto it = c.metadata.find(key);
  return it == c.metadata.end() || it->second.empty() ? fallback : it->second;
}

int run_info(const InfoArgs& a) {
  require_readable(a.checkpoint, "info: checkpoint");
  train::Checkpoint c;
  train::ModelBundle b = train::load_bundle(a.checkpoint, &c);
  int64_t optimizer_tensors = static_cast<int64_t>(c.optimizer.size());
  fmt::print("checkpoint: {}\n", a.checkpoint);
  fmt::print("model: {}\n", b.model->describe());
  fmt::print("parameters: {} in {} tensors\n", b.model->parameter_count(), c.model.size());
  fmt::print("vocabularies: source {} ({} tokenizer), target {} ({} tokenizer)\n", b.src_vocab.size(),
             b.src_tokenizer->kind(), b.tgt_vocab.size(), b.tgt_tokenizer->kind());
  const std::string epoch = meta_or(c, "epoch", "");
  const std::string seconds = meta_or(c, "train_seconds", "");
  fmt::print("training: step {}, epoch {}, {} s of training, {} skipped batches; optimizer {} ({} state tensors), "
             "lr {}\n",
             meta_or(c, "step", "?"), epoch.empty() ? "?" : std::to_string(std::stoll(epoch) + 1),
             seconds.empty() ? "?" : fmt::format("{:.1f}", std::stod(seconds)),
             meta_or(c, "skipped_steps", "0"), b.config.optim.optimizer, optimizer_tensors, b.config.optim.lr);
  fmt::print("best {}: {}\n", b.config.train.metric, meta_or(c, "best_metric", "none yet"));
  if (a.config) fmt::print("config:\n{}", c.meta("config"));
  return 0;
}

}  // namespace

void add_info_command(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Describe a checkpoint: architecture, parameters, training state");
  cmd->add_option("checkpoint", args->checkpoint, "Checkpoint (.safetensors) written by attend train")->required();
  cmd->add_flag("--config", args->config, "Also print the effective YAML config");
  cmd->callback([&table, args] { table.selected = [args] { return run_info(*args); }; });
}

}  // namespace attend::cli
