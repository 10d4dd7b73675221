// attend explain CHECKPOINT --input TEXT [--reference TEXT] [--kind --layer --head --reduce] [--format F] [--out FILE]:
// the attention of a translation (decoded with greedy or beam search, or the reference teacher-forced and scored) as
// a picture (png, svg, html, txt) or an export (json lines, npy, pharaoh alignments, with AER against --gold).
// attend explain --example seed: the tutorial's worked example, step by step (explain_example.cpp).
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "attend/autograd/var.hpp"
#include "attend/data/batch.hpp"
#include "attend/explain/alignment.hpp"
#include "attend/explain/html_heatmap.hpp"
#include "attend/explain/npy.hpp"
#include "attend/explain/png_heatmap.hpp"
#include "attend/explain/selector.hpp"
#include "attend/explain/svg_heatmap.hpp"
#include "attend/explain/terminal_heatmap.hpp"
#include "attend/explain/weights_json.hpp"
#include "attend/io/text_file.hpp"
#include "attend/tensor/softmax.hpp"
#include "attend/train/progress.hpp"
#include "attend/train/translator.hpp"
#include "cli_util.hpp"
#include "commands.hpp"
#include "explain_example.hpp"

namespace attend::cli {
namespace {

struct ExplainArgs {
  std::string checkpoint, input, reference, example, gold;
  std::string kind = "auto", layer = "last", head = "all", reduce = "mean", format = "txt", out;
  int64_t beam = 1, nbest = 1;
  double threshold = 0;
  bool input_given = false;
};

/// One explained output: its text, the pieces of its produced tokens (EOS last when finished), the captured weights
/// of the chosen kind (one [h, T, K] per selected layer) and its score.
struct Explained {
  std::string text;
  std::vector<std::string> target_pieces;
  std::vector<Tensor> captured;
  double score = 0;
};

/// What the model has and what to capture of it.
struct Selection {
  explain::AttentionSelector selector = {};
  int64_t layers = 0, heads = 0;  ///< of the selected kind
  nn::AttentionCapture capture = {};
};

/// [L', h, T, K] from one [h, T, K] per layer.
Tensor stacked(const std::vector<Tensor>& layers) {
  std::vector<float> all;
  for (const Tensor& w : layers) {
    const std::vector<float> v = w.to(DType::f32).contiguous().to_vector<float>();
    all.insert(all.end(), v.begin(), v.end());
  }
  const Shape& s = layers.front().shape();
  return Tensor::from_vector(all, {static_cast<int64_t>(layers.size()), s[0], s[1], s[2]});
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n\f\v") == std::string::npos; }

/// Teacher forcing: the reference through the model's forward, its log-probability summed over its tokens and EOS.
Explained score_reference(train::ModelBundle& bundle, const std::string& input, const std::string& reference,
                          const Selection& sel) {
  NoGradGuard no_grad;
  bundle.model->module().eval();
  data::EncodedExample ex{bundle.encode_source(input), bundle.encode_target(reference)};
  ATTEND_CHECK(!ex.tgt.empty(), "explain: --reference '{}' has no target tokens", reference);
  const data::Batch batch = data::make_batch({ex}, {0});
  const train::ModelOutput out = bundle.model->forward(batch, sel.capture);
  const Tensor log_probs = log_softmax(out.logits.value().to(DType::f32), -1).contiguous();  // [1, Tt, V]
  const int64_t Tt = log_probs.shape()[1], V = log_probs.shape()[2];
  const std::vector<int64_t> gold = batch.tgt_out.contiguous().to_vector<int64_t>();
  const float* lp = log_probs.data<float>();
  Explained e;
  for (int64_t t = 0; t < Tt; ++t) e.score += lp[t * V + gold[static_cast<size_t>(t)]];
  std::vector<int64_t> ids = ex.tgt;
  ids.push_back(data::kEosId);
  e.text = reference;
  e.target_pieces = bundle.target_pieces(ids);
  for (const Tensor& w : out.captured.of(sel.selector.kind)) e.captured.push_back(w.select(0, 0));  // [h, Tq, Tk]
  return e;
}

std::vector<Explained> decode(train::ModelBundle& bundle, const std::string& input, const ExplainArgs& a,
                              const Selection& sel) {
  decode::SearchOptions options;
  options.beam_size = a.beam;
  options.nbest = a.nbest;
  options.keep_attention = false;
  options.capture = sel.capture;
  std::vector<train::Translations> t = train::translate(bundle, {input}, options);
  std::vector<Explained> out;
  for (const auto& h : t.front().hypotheses) {
    out.push_back({h.text, h.target_pieces, h.captured.of(sel.selector.kind), h.score});
  }
  ATTEND_CHECK(!out.empty(), "explain: the model produced no translation of '{}'", input);
  return out;
}

/// The output file of panel i of n: FILE itself when n == 1, else FILE's stem + "-i" + its extension.
std::string numbered(const std::string& path, size_t i, size_t n) {
  if (n == 1) return path;
  const std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + fmt::format("-{}", i) + p.extension().string())).string();
}

void emit(const ExplainArgs& a, const std::string& text) {
  if (a.out.empty() || a.out == "-") fmt::print("{}", text);
  else write_text_atomically(a.out, text);
}

int run_explain(const ExplainArgs& a) {
  if (!a.example.empty()) {
    ATTEND_CHECK(a.checkpoint.empty(), "explain: --example takes no CHECKPOINT (got '{}')", a.checkpoint);
    return run_explain_example(a.example);
  }
  ATTEND_CHECK(!a.checkpoint.empty(), "explain: give a CHECKPOINT and --input TEXT, or --example seed");
  const std::vector<std::string> formats = {"png", "svg", "html", "txt", "json", "npy", "pharaoh"};
  ATTEND_CHECK(std::find(formats.begin(), formats.end(), a.format) != formats.end(),
               "explain: unknown --format '{}' (expected png, svg, html, txt, json, npy or pharaoh)", a.format);
  ATTEND_CHECK((a.format != "png" && a.format != "npy") || (!a.out.empty() && a.out != "-"),
               "explain: --format {} writes a binary file: give --out FILE", a.format);
  ATTEND_CHECK(a.beam >= 1 && a.nbest >= 1 && a.nbest <= a.beam,
               "explain: need 1 <= --nbest <= --beam; got --beam {} --nbest {}", a.beam, a.nbest);
  ATTEND_CHECK(a.threshold >= 0 && a.threshold <= 1, "explain: --threshold must be in [0, 1] (0: argmax), got {}",
               a.threshold);
  ATTEND_CHECK(a.input_given, "explain: give the source text with --input TEXT");
  ATTEND_CHECK(!blank(a.input), "explain: --input is empty: there is no source to attend to");
  const explain::Alignment gold = explain::parse_pharaoh(a.gold);  // malformed links fail before the model loads
  require_readable(a.checkpoint, "explain: checkpoint");
  train::ModelBundle bundle = train::load_bundle(a.checkpoint);
  const bool rnn = bundle.config.model.type == "rnn-attention";
  const std::string kind = a.kind == "auto" ? (rnn ? "rnn" : "cross") : a.kind;
  Selection sel{.selector = explain::parse_selector(kind, a.layer, a.head, a.reduce)};
  using explain::AttentionKind;
  explain::check_kind(sel.selector.kind,
                      rnn ? std::vector<AttentionKind>{AttentionKind::rnn}
                          : std::vector<AttentionKind>{AttentionKind::encoder_self, AttentionKind::decoder_self,
                                                       AttentionKind::cross},
                      rnn ? "rnn-attention" : "transformer");
  sel.layers = bundle.model->attention_layers(sel.selector.kind);
  sel.heads = bundle.model->attention_heads();
  sel.capture = explain::capture_request(sel.selector, sel.layers, sel.heads);
  ATTEND_CHECK(a.reference.empty() || a.nbest == 1, "explain: --reference scores one output: drop --nbest");
  std::vector<Explained> outputs;
  if (!a.reference.empty()) outputs.push_back(score_reference(bundle, a.input, a.reference, sel));
  else outputs = decode(bundle, a.input, a, sel);
  const std::vector<std::string> source = bundle.source_pieces(a.input);

  std::vector<explain::Heatmap> panels;
  std::vector<size_t> owner;             // which output each panel shows
  std::vector<std::string> which;        // the selection part of each panel's title
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Explained& e = outputs[i];
    // Rows: the query positions; columns: the keys (encoder-self: the source; decoder-self: the tokens fed in).
    const bool encoder = sel.selector.kind == AttentionKind::encoder_self;
    const std::vector<std::string>& rows = encoder ? source : e.target_pieces;
    std::vector<std::string> columns = source;
    if (sel.selector.kind == AttentionKind::decoder_self) {
      columns = {"<s>"};
      columns.insert(columns.end(), e.target_pieces.begin(), e.target_pieces.end() - 1);
    }
    const Tensor kept = stacked(e.captured);  // [L', h, T, K]
    for (explain::Heatmap& m : explain::captured_heatmaps(kept, sel.selector, sel.layers, sel.heads, rows, columns)) {
      which.push_back(m.title);
      m.title = fmt::format("{}{}  ->  {}  ({})", outputs.size() > 1 ? fmt::format("#{} ", i + 1) : "", a.input,
                            e.text, m.title);
      panels.push_back(std::move(m));
      owner.push_back(i);
    }
  }
  const std::string page_title = fmt::format("{} -> {}", a.input, outputs.front().text);
  if (a.format == "txt") {
    const bool color = (a.out.empty() || a.out == "-") && train::Progress::is_terminal(stdout);
    std::string text;
    for (size_t p = 0; p < panels.size(); ++p) {
      const Explained& e = outputs[owner[p]];
      text += fmt::format("{}  ->  {}   ({} {:.4f}; {})\n", a.input, e.text,
                          a.reference.empty() ? "score" : "log-probability", e.score, which[p]);
      text += explain::terminal_heatmap(panels[p].weights, panels[p].rows, panels[p].columns, color);
    }
    emit(a, text);
  } else if (a.format == "html") {
    emit(a, explain::html_heatmap(panels, page_title));
  } else if (a.format == "json") {
    std::string text;
    for (size_t p = 0; p < panels.size(); ++p) {
      text += explain::weights_json_line(
          panels[p], {{"input", a.input}, {"output", outputs[owner[p]].text},
                      {"mode", a.reference.empty() ? "decode" : "reference"}, {"kind", kind}});
    }
    emit(a, text);
  } else if (a.format == "svg" || a.format == "png") {
    ATTEND_CHECK(panels.size() == 1 || (!a.out.empty() && a.out != "-"),
                 "explain: {0} pictures (one per hypothesis or head) need --out FILE.{1}: they become FILE-0.{1}, "
                 "FILE-1.{1}, ...",
                 panels.size(), a.format);
    for (size_t p = 0; p < panels.size(); ++p) {
      const std::string path = a.out.empty() || a.out == "-" ? "-" : numbered(a.out, p, panels.size());
      if (a.format == "png") explain::write_png_heatmap(path, panels[p]);
      else if (path == "-") fmt::print("{}", explain::svg_heatmap(panels[p]));
      else write_text_file(path, explain::svg_heatmap(panels[p]));
      if (path != "-") fmt::print(stderr, "wrote {}\n", path);
    }
  } else if (a.format == "npy") {
    const explain::Heatmap& first = panels.front();
    std::vector<float> all;
    int64_t n = 0;
    for (size_t p = 0; p < panels.size() && owner[p] == 0; ++p, ++n) {
      const auto v = panels[p].weights.to(DType::f32).contiguous().to_vector<float>();
      all.insert(all.end(), v.begin(), v.end());
    }
    explain::write_npy(a.out, Tensor::from_vector(all, {n, first.weights.shape()[0], first.weights.shape()[1]}));
    fmt::print(stderr, "wrote {} (float32 [{}, {}, {}]: panels, target, source)\n", a.out, n,
               first.weights.shape()[0], first.weights.shape()[1]);
  } else {  // pharaoh: the EOS row is not a target token
    std::string text;
    for (const explain::Heatmap& m : panels) {
      int64_t T = m.weights.shape()[0];
      if (!m.rows.empty() && m.rows.back() == "</s>") --T;
      const Tensor w = m.weights.narrow(0, 0, T);
      const explain::Alignment al = a.threshold > 0 ? explain::threshold_alignment(w, a.threshold)
                                                    : explain::argmax_alignment(w);
      text += explain::to_pharaoh(al) + "\n";
      if (!a.gold.empty()) {
        const explain::AlignmentScores s = explain::alignment_error_rate(al, gold);
        fmt::print(stderr, "AER {:.4f} (precision {:.4f}, recall {:.4f}; {} links against {} sure, {} possible)\n",
                   s.aer, s.precision, s.recall, s.hypothesis_links, s.sure_links, s.possible_links);
      }
    }
    emit(a, text);
  }
  return 0;
}

}  // namespace

void add_explain_command(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand("explain", "Show the attention of a translation as a picture or an alignment");
  cmd->add_option("checkpoint", args->checkpoint, "Checkpoint (.safetensors) written by attend train or attend demo");
  cmd->add_option("--input,-i", args->input, "Source text to translate and explain");
  cmd->add_option("--reference,-r", args->reference, "Teacher-force and score this output instead of decoding");
  cmd->add_option("--kind", args->kind, "encoder-self, decoder-self, cross or rnn (auto: rnn or cross)")
      ->capture_default_str();
  cmd->add_option("--layer", args->layer, "all, last or a layer number (0-based)")->capture_default_str();
  cmd->add_option("--head", args->head, "all, a head number i or a range i..j")->capture_default_str();
  cmd->add_option("--reduce", args->reduce, "Over the selected heads: none (one picture each), mean or max")
      ->capture_default_str();
  cmd->add_option("--format,-f", args->format, "png, svg, html, txt, json (lines), npy or pharaoh")
      ->capture_default_str();
  cmd->add_option("--out,-o", args->out, "Output file, written atomically (default: stdout; png and npy need one)");
  cmd->add_option("--beam", args->beam, "Beam size (1: greedy)")->capture_default_str();
  cmd->add_option("--nbest", args->nbest, "Explain the N best hypotheses (<= --beam)")->capture_default_str();
  cmd->add_option("--threshold", args->threshold, "pharaoh: links with weight >= this (0: the argmax per target)")
      ->capture_default_str();
  cmd->add_option("--gold", args->gold, "pharaoh: reference alignment \"0-0 1-2 3?4\"; prints the AER to stderr");
  cmd->add_option("--example", args->example, "Print a worked example step by step instead (seed)");
  cmd->callback([&table, args, cmd] {
    args->input_given = cmd->count("--input") > 0;
    table.selected = [args] { return run_explain(*args); };
  });
}

}  // namespace attend::cli
