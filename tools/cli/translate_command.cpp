// attend translate CHECKPOINT [--input FILE] [--output FILE] [--beam K] [--nbest N] [--batch N] [...]: one
// translation per input line (stdin -> stdout by default); with --nbest N > 1, N lines per input in the Moses n-best
// format "index ||| text ||| score".
#include <fmt/core.h>

#include <memory>

#include "attend/decode/search.hpp"
#include "attend/train/translator.hpp"
#include "cli_util.hpp"
#include "commands.hpp"

namespace attend::cli {
namespace {

struct TranslateArgs {
  std::string checkpoint, input, output, length_penalty = "none";
  int64_t beam = 1, nbest = 1, batch = 64, max_length = 0;
  double alpha = 0.6, coverage_penalty = 0.0, max_length_ratio = 2.0;
};

int run_translate(const TranslateArgs& a) {
  ATTEND_CHECK(a.beam >= 1 && a.nbest >= 1 && a.nbest <= a.beam,
               "translate: need 1 <= --nbest <= --beam; got --beam {} --nbest {}", a.beam, a.nbest);
  ATTEND_CHECK(a.batch >= 1, "translate: --batch must be >= 1, got {}", a.batch);
  decode::SearchOptions options;
  options.beam_size = a.beam;
  options.nbest = a.nbest;
  options.length_penalty = decode::parse_length_penalty(a.length_penalty);
  options.alpha = a.alpha;
  options.coverage_penalty = a.coverage_penalty;
  options.max_length_ratio = a.max_length_ratio;
  options.max_length = a.max_length;
  require_readable(a.checkpoint, "translate: checkpoint");
  train::ModelBundle bundle = train::load_bundle(a.checkpoint);
  std::vector<std::string> lines = read_lines(a.input);
  std::vector<train::Translations> out = train::translate(bundle, lines, options, a.batch);
  std::string text;
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& hyps = out[i].hypotheses;
    if (a.nbest == 1) {
      text += (hyps.empty() ? std::string() : hyps[0].text) + "\n";
      continue;
    }
    for (const auto& h : hyps) text += fmt::format("{} ||| {} ||| {:.6f}\n", i, h.text, h.score);
  }
  if (a.output.empty() || a.output == "-") {
    fmt::print("{}", text);
  } else {
    write_text_atomically(a.output, text);
  }
  return 0;
}

}  // namespace

void add_translate_command(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<TranslateArgs>();
  CLI::App* cmd = app.add_subcommand("translate", "Translate text with a checkpoint (stdin to stdout by default)");
  cmd->add_option("checkpoint", args->checkpoint, "Checkpoint (.safetensors) written by attend train")->required();
  cmd->add_option("--input,-i", args->input, "Input file, one sentence per line (default: stdin)");
  cmd->add_option("--output,-o", args->output, "Output file, written atomically (default: stdout)");
  cmd->add_option("--beam", args->beam, "Beam size (1: greedy)")->capture_default_str();
  cmd->add_option("--nbest", args->nbest, "Hypotheses per input (<= --beam)")->capture_default_str();
  cmd->add_option("--batch", args->batch, "Sentences decoded together")->capture_default_str();
  cmd->add_option("--length-penalty", args->length_penalty, "none, gnmt or average")->capture_default_str();
  cmd->add_option("--alpha", args->alpha, "GNMT length penalty exponent")->capture_default_str();
  cmd->add_option("--coverage-penalty", args->coverage_penalty, "GNMT coverage penalty weight beta")
      ->capture_default_str();
  cmd->add_option("--max-length-ratio", args->max_length_ratio, "Output length limit per source token")
      ->capture_default_str();
  cmd->add_option("--max-length", args->max_length, "Hard output length limit (0: none)")->capture_default_str();
  cmd->callback([&table, args] { table.selected = [args] { return run_translate(*args); }; });
}

}  // namespace attend::cli
