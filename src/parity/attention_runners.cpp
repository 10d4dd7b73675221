// Parity runners for the attend.* scorers and GlobalAttention (formulas and parameter names in fixtures.md).
//
// Inputs: the query (`query`), the memory (`memory`; also `key`, `keys`, `memory_bank`), optionally `value` (scorers
// only) and `src_lengths` (also `memory_lengths`, `lengths`): key j of item b is masked when j ≥ src_lengths[b].
// A scorer's `score` is compared at unmasked positions only. Where the fixture stored masked scores as one fill value
// (-inf or a large negative number, as masked_fill does), attend fills the same positions with it, so that gradients
// flowing through `score` agree too; otherwise the raw scores are returned.
// A one-step (2-D) query is a query of length 1; each output drops that dim when the fixture's output does.
// A query whose keys are all masked (a zero src_length) gets weights 0 from attend and NaN from PyTorch: its rows of
// align, context and attn_h are not compared.
#include <fmt/ranges.h>

#include <cmath>
#include <initializer_list>
#include <optional>

#include "attend/nn/attention/additive_score.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/nn/attention/dot_score.hpp"
#include "attend/nn/attention/general_score.hpp"
#include "attend/nn/attention/global_attention.hpp"
#include "attend/nn/attention/mlp_score.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"
#include "builtin_runners.hpp"

namespace attend::parity {

namespace {

[[noreturn]] void unsupported(const ParityCase& c, const std::string& what) {
  throw ParityError(ErrorKind::unsupported,
                    fmt::format("{} with {} is not supported by attend", c.module_name(), what));
}

// The first of `names` listed among the fixture's inputs, or "" when none is.
std::string listed_input(const ParityCase& c, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (c.has_input(n)) return n;
  }
  return "";
}

struct AttentionInputs {
  Var query;   // [B, Tq, Dq] (a one-step [B, Dq] query is unsqueezed)
  Var memory;  // [B, Tk, Dk]
  Var value;   // [B, Tk, Dv], undefined when not given
  nn::AttentionMask mask;
  bool one_step = false;
};

AttentionInputs read_inputs(ParityCase& c) {
  AttentionInputs in;
  const std::string q = listed_input(c, {"query", "source", "input"});
  const std::string m = listed_input(c, {"memory", "key", "keys", "memory_bank"});
  if (q.empty() || m.empty()) {
    throw ParityError(ErrorKind::bad_metadata,
                      fmt::format("{} fixtures need inputs 'query' and 'memory' (or 'key'); listed inputs: {}",
                                  c.module_name(), fmt::join(c.input_names(), ", ")));
  }
  in.query = c.input(q);
  in.memory = c.input(m);
  if (const std::string v = listed_input(c, {"value", "values"}); !v.empty()) in.value = c.input(v);
  if (const std::string l = listed_input(c, {"src_lengths", "memory_lengths", "lengths"}); !l.empty()) {
    const Tensor lengths = c.input_tensor(l);
    if (is_floating(lengths.dtype())) {
      throw ParityError(ErrorKind::bad_metadata,
                        fmt::format("input '{}' must hold integer lengths, got {}", l, dtype_name(lengths.dtype())));
    }
    in.mask = nn::AttentionMask::key_lengths(lengths.to(DType::i64).reshape({-1}));
  }
  in.one_step = in.query.dim() == 2;
  if (in.one_step) in.query = unsqueeze(in.query, 1);  // [B, 1, Dq]
  return in;
}

// For a one-step query: drops the query dim when the fixture's output has one dim fewer.
Var fit_rank(const ParityCase& c, const std::string& name, const Var& v, bool one_step) {
  const std::string key = "output." + name;
  if (!one_step || !c.has_tensor(key) || c.tensor(key).dim() != v.dim() - 1) return v;
  return squeeze(v, 1);
}

// Queries whose keys are all masked, u8 [B, Tq, 1]; undefined when there are none. attend gives them weights 0 and
// context 0, PyTorch NaN, so their rows of align, context and attn_h are not compared.
Tensor empty_rows(const nn::AttentionMask& mask, const Shape& scores) {
  const Tensor small = mask.drop_tensor(scores);
  if (!small.defined()) return Tensor();
  const std::vector<uint8_t> drop = small.expand(scores).contiguous().to_vector<uint8_t>();
  const int64_t rows = scores[0] * scores[1], tk = scores[2];
  Tensor out = Tensor::zeros({scores[0], scores[1], 1}, DType::u8);
  bool any = false;
  for (int64_t r = 0; r < rows; ++r) {
    bool all = true;
    for (int64_t j = 0; j < tk; ++j) all = all && drop[static_cast<size_t>(r * tk + j)] != 0;
    out.data<uint8_t>()[r] = static_cast<uint8_t>(all);
    any = any || all;
  }
  return any ? out : Tensor();
}

// Excludes `rows` (from empty_rows) of output `name`, [B, Tq, X] or, for a one-step query, [B, X].
void exclude_rows(ParityOutputs& out, const std::string& name, const Tensor& rows) {
  if (!rows.defined()) return;
  const Shape& shape = out.values.at(name).shape();
  out.excluded[name] = (shape.size() == 2 ? rows.squeeze(1) : rows).expand(shape).contiguous();
}

// The one value the fixture stored at every masked score, when it masked them (see the file comment).
std::optional<double> stored_fill(const ParityCase& c, const Tensor& drop) {
  if (!c.has_tensor("output.score") || c.tensor("output.score").numel() != drop.numel()) return std::nullopt;
  const std::vector<double> want = c.tensor("output.score").to_vector<double>();
  const std::vector<uint8_t> masked = drop.to_vector<uint8_t>();
  std::optional<double> fill;
  for (size_t i = 0; i < want.size(); ++i) {
    if (masked[i] == 0) continue;
    if (fill && !(want[i] == *fill)) return std::nullopt;
    fill = want[i];
  }
  if (fill && (!std::isfinite(*fill) || std::abs(*fill) >= 1e4)) return fill;
  return std::nullopt;
}

ParityOutputs score_outputs(ParityCase& c, const nn::Scorer& scorer, AttentionInputs& in) {
  const bool with_softmax = c.call().get_bool("softmax", false);
  const Var scores = scorer.score(in.query, in.memory);  // [B, Tq, Tk]
  ParityOutputs out;
  Var score = scores;
  Tensor drop;  // u8 [B, Tq, Tk], 1 = masked
  if (const Tensor small = in.mask.drop_tensor(scores.shape()); small.defined()) {
    drop = small.expand(scores.shape()).contiguous();
    if (const std::optional<double> fill = stored_fill(c, drop)) score = masked_fill(scores, drop, *fill);
  }
  score = fit_rank(c, "score", score, in.one_step);
  out.values["score"] = score;
  if (drop.defined()) out.excluded["score"] = score.dim() == drop.dim() ? drop : drop.squeeze(1);
  if (with_softmax || c.has_tensor("output.align") || c.has_tensor("output.context")) {
    const Var align = softmax(in.mask.apply(scores), -1);                           // [B, Tq, Tk]
    const Var context = matmul(align, in.value.defined() ? in.value : in.memory);  // [B, Tq, Dv]
    out.values["align"] = fit_rank(c, "align", align, in.one_step);
    out.values["context"] = fit_rank(c, "context", context, in.one_step);
    const Tensor rows = empty_rows(in.mask, scores.shape());
    exclude_rows(out, "align", rows);
    exclude_rows(out, "context", rows);
  }
  return out;
}

// Query and key widths from `dim` (both) or `dim_query` / `dim_key`.
std::pair<int64_t, int64_t> widths(const ParityCase& c) {
  const Arguments& kw = c.kwargs();
  const int64_t dim = kw.get_int("dim", 0);
  const int64_t dq = kw.get_int("dim_query", dim);
  const int64_t dk = kw.get_int("dim_key", dq);
  if (dq <= 0) {
    throw ParityError(ErrorKind::bad_metadata, fmt::format("{} needs kwargs dim or dim_query", c.module_name()));
  }
  if (dim != 0 && (dq != dim || dk != dim)) {
    throw ParityError(ErrorKind::bad_metadata, fmt::format("{}: kwargs dim={} disagrees with dim_query={}, dim_key={}",
                                                           c.module_name(), dim, dq, dk));
  }
  return {dq, dk};
}

ParityOutputs run_scorer(ParityCase& c, nn::Scorer& scorer, AttentionInputs& in) {
  c.load(scorer);
  return score_outputs(c, scorer, in);
}

ParityOutputs run_dot(ParityCase& c) {
  AttentionInputs in = read_inputs(c);
  const Arguments& kw = c.kwargs();
  const int64_t width = in.query.size(-1);
  const int64_t dim = kw.get_int("dim", kw.get_int("dim_query", width));
  if (kw.get_int("dim_key", dim) != dim) unsupported(c, "dim_key != dim (the dot product needs equal widths)");
  nn::DotScoreOptions o{.dim = dim, .scaled = kw.get_bool("scaled", false), .scale = std::nullopt};
  if (kw.has("scale")) o.scale = kw.get_double("scale", 1.0);
  nn::DotScore scorer(o);
  return run_scorer(c, scorer, in);
}

ParityOutputs run_general(ParityCase& c) {
  AttentionInputs in = read_inputs(c);
  const auto [dq, dk] = widths(c);
  nn::GeneralScore scorer({.dim_query = dq, .dim_key = dk, .seed = 0});
  return run_scorer(c, scorer, in);
}

ParityOutputs run_additive(ParityCase& c) {
  AttentionInputs in = read_inputs(c);
  const auto [dq, dk] = widths(c);
  nn::AdditiveScore scorer({.dim_query = dq, .dim_key = dk, .hidden = c.kwargs().get_int("hidden", 0), .seed = 0});
  return run_scorer(c, scorer, in);
}

ParityOutputs run_mlp(ParityCase& c) {
  AttentionInputs in = read_inputs(c);
  const auto [dq, dk] = widths(c);
  const std::string act = c.kwargs().get_string("activation", "tanh");
  if (act != "tanh" && act != "relu") unsupported(c, fmt::format("activation \"{}\" (tanh or relu)", act));
  nn::MlpScore scorer({.dim_query = dq,
                       .dim_key = dk,
                       .hidden = c.kwargs().get_int("hidden"),
                       .activation = act == "relu" ? nn::ScoreActivation::relu : nn::ScoreActivation::tanh,
                       .seed = 0});
  return run_scorer(c, scorer, in);
}

ParityOutputs run_global_attention(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  const std::string type = kw.get_string("attn_type", "dot");
  nn::ScoreKind kind = nn::ScoreKind::dot;
  if (type == "general") kind = nn::ScoreKind::general;
  else if (type == "mlp" || type == "additive" || type == "bahdanau") kind = nn::ScoreKind::additive;
  else if (type != "dot") unsupported(c, fmt::format("attn_type \"{}\" (dot, general or mlp)", type));
  if (kw.get_bool("coverage", false)) unsupported(c, "coverage=true");
  if (const std::string f = kw.get_string("attn_func", "softmax"); f != "softmax") {
    unsupported(c, fmt::format("attn_func \"{}\" (softmax only)", f));
  }
  if (!kw.get_bool("batch_first", true)) unsupported(c, "batch_first=false (the query and memory are [B, T, D])");
  AttentionInputs in = read_inputs(c);
  nn::GlobalAttention m({.dim = kw.get_int("dim"), .attn_type = kind, .seed = 0});
  c.load(m);
  const nn::GlobalAttentionOutput o = m.forward(in.query, in.memory, in.mask);  // [B, Tq, D], [B, Tq, Tk]
  ParityOutputs out{.values = {{"attn_h", fit_rank(c, "attn_h", o.attn_h, in.one_step)},
                               {"align", fit_rank(c, "align", o.align, in.one_step)}},
                    .excluded = {}};
  const Tensor rows = empty_rows(in.mask, o.align.shape());
  exclude_rows(out, "attn_h", rows);
  exclude_rows(out, "align", rows);
  return out;
}

}  // namespace

void register_attention_runners(std::map<std::string, ParityRunner>& runners) {
  runners["attend.DotScore"] = run_dot;
  runners["attend.GeneralScore"] = run_general;
  runners["attend.AdditiveScore"] = run_additive;
  runners["attend.MlpScore"] = run_mlp;
  runners["attend.GlobalAttention"] = run_global_attention;
}

}  // namespace attend::parity
