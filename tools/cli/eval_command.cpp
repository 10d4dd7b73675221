// attend eval CHECKPOINT (--data FILE.tsv | --src FILE --tgt FILE) [--beam K] [--metrics FILE]: teacher-forced loss
// and token accuracy, then decoded exact match and BLEU of a model on a corpus.
#include <fmt/core.h>

#include <memory>

#include "attend/data/corpus.hpp"
#include "attend/train/evaluate.hpp"
#include "attend/train/model_bundle.hpp"
#include "cli_util.hpp"
#include "commands.hpp"
#include "train_report.hpp"

namespace attend::cli {
namespace {

struct EvalArgs {
  std::string checkpoint, data, src, tgt, metrics_path;
  int64_t beam = 1;
};

int run_eval(const EvalArgs& a) {
  ATTEND_CHECK(!a.data.empty() != (!a.src.empty() && !a.tgt.empty()),
               "eval: give the corpus as --data FILE.tsv or as --src FILE --tgt FILE (exactly one of them)");
  ATTEND_CHECK(a.beam >= 1, "eval: --beam must be >= 1, got {}", a.beam);
  require_readable(a.checkpoint, "eval: checkpoint");
  for (const std::string& f : {a.data, a.src, a.tgt})
    if (!f.empty()) require_readable(f, "eval: corpus");
  train::ModelBundle bundle = train::load_bundle(a.checkpoint);
  data::ParallelCorpus corpus = a.data.empty() ? data::read_parallel(a.src, a.tgt) : data::read_tsv(a.data);
  ATTEND_CHECK(!corpus.src.empty(), "eval: the corpus has no usable example ({})", corpus.report.summary());
  auto examples = data::encode_corpus(corpus, *bundle.src_tokenizer, *bundle.tgt_tokenizer, bundle.src_vocab,
                                      bundle.tgt_vocab, 0, &corpus.report);
  if (!corpus.report.skipped.empty()) fmt::print("corpus: {}\n", corpus.report.summary());
  train::ValidationResult v = train::evaluate(bundle, examples, corpus.tgt, {.beam_size = a.beam});
  fmt::print("{}: loss {:.4f}, token accuracy {:.2f}%, exact match {:.2f}%, BLEU {:.2f} ({} sentences, beam {})\n",
             a.checkpoint, v.loss, 100 * v.token_accuracy, 100 * v.exact_match, v.bleu, v.sentences, a.beam);
  if (!a.metrics_path.empty()) {
    write_metrics(a.metrics_path, {{"loss", v.loss}, {"token_accuracy", v.token_accuracy},
                                   {"exact_match", v.exact_match}, {"bleu", v.bleu},
                                   {"sentences", static_cast<double>(v.sentences)}});
  }
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a checkpoint on a corpus (loss, accuracy, exact match, BLEU)");
  cmd->add_option("checkpoint", args->checkpoint, "Checkpoint (.safetensors) written by attend train")->required();
  cmd->add_option("--data", args->data, "Corpus as TSV: source<TAB>target per line");
  cmd->add_option("--src", args->src, "Source side, one sentence per line (with --tgt)");
  cmd->add_option("--tgt", args->tgt, "Target side, aligned with --src");
  cmd->add_option("--beam", args->beam, "Beam size of the decoding (1: greedy)")->capture_default_str();
  cmd->add_option("--metrics", args->metrics_path, "Write the metrics as JSON to this file");
  cmd->callback([&table, args] { table.selected = [args] { return run_eval(*args); }; });
}

}  // namespace attend::cli
