// make_scorer, the score kind names, and the argument checks the scorers share (score_checks.hpp).
#include "attend/nn/attention/scorer.hpp"

#include "attend/core/error.hpp"
#include "attend/nn/attention/additive_score.hpp"
#include "attend/nn/attention/dot_score.hpp"
#include "attend/nn/attention/general_score.hpp"
#include "attend/nn/attention/mlp_score.hpp"
#include "score_checks.hpp"

namespace attend::nn {

namespace detail {

void check_keys(const char* op, const Var& keys, int64_t dim_key) {
  ATTEND_CHECK(keys.defined(), "{}: keys is undefined", op);
  ATTEND_CHECK(keys.dim() == 3 && keys.size(2) == dim_key, "{}: keys must be [B, Tk, {}] (dim_key {}), got shape {}",
               op, dim_key, dim_key, shape_str(keys.shape()));
}

void check_score_inputs(const char* op, const Var& query, const ScorerKeys& keys, int64_t dim_query, int64_t dim_key) {
  ATTEND_CHECK(query.defined(), "{}: query is undefined", op);
  ATTEND_CHECK(keys.keys.defined(), "{}: keys is undefined", op);
  const Shape& qs = query.shape();
  const Shape& ks = keys.keys.shape();
  ATTEND_CHECK(qs.size() == 3, "{}: query must be [B, Tq, Dq], got shape {}", op, shape_str(qs));
  ATTEND_CHECK(ks.size() == 3, "{}: keys must be [B, Tk, Dk], got shape {}", op, shape_str(ks));
  ATTEND_CHECK(qs[2] == dim_query,
               "{}: query.shape[-1] must equal dim_query (expected {}, got {}); query shape {}, keys shape {}", op,
               dim_query, qs[2], shape_str(qs), shape_str(ks));
  ATTEND_CHECK(ks[2] == dim_key,
               "{}: keys.shape[-1] must equal dim_key (expected {}, got {}); query shape {}, keys shape {}", op,
               dim_key, ks[2], shape_str(qs), shape_str(ks));
  ATTEND_CHECK(qs[0] == ks[0],
               "{}: query and keys must have the same batch (got {} and {}); query shape {}, keys shape {}", op, qs[0],
               ks[0], shape_str(qs), shape_str(ks));
  ATTEND_CHECK(query.dtype() == keys.keys.dtype(), "{}: query is {} but keys are {}; query shape {}, keys shape {}", op,
               dtype_name(query.dtype()), dtype_name(keys.keys.dtype()), shape_str(qs), shape_str(ks));
}

void check_projected(const char* op, const ScorerKeys& keys, int64_t width) {
  const Shape& ks = keys.keys.shape();
  const Shape& ps = keys.projected.shape();
  ATTEND_CHECK(ps.size() == 3 && ps[0] == ks[0] && ps[1] == ks[1] && ps[2] == width,
               "{}: prepared keys must be [B, Tk, {}] for keys [B, Tk, Dk] (were they prepared by another scorer?); "
               "projected shape {}, keys shape {}", op, width, shape_str(ps), shape_str(ks));
}

void check_positive(const char* op, const char* option, int64_t value) {
  ATTEND_CHECK(value > 0, "{}: {} must be positive, got {}", op, option, value);
}

}  // namespace detail

std::shared_ptr<Scorer> make_scorer(const ScorerOptions& o) {
  const int64_t dk = o.dim_key == 0 ? o.dim_query : o.dim_key;
  switch (o.kind) {
    case ScoreKind::dot:
    case ScoreKind::scaled_dot:
      ATTEND_CHECK(dk == o.dim_query, "make_scorer: {} needs dim_key == dim_query (got {} and {})",
                   score_kind_name(o.kind), o.dim_key, o.dim_query);
      ATTEND_CHECK(o.kind == ScoreKind::scaled_dot || !o.scale.has_value(),
                   "make_scorer: scale {} is only used by scaled_dot, not dot", *o.scale);
      return std::make_shared<DotScore>(
          DotScoreOptions{.dim = o.dim_query, .scaled = o.kind == ScoreKind::scaled_dot, .scale = o.scale});
    case ScoreKind::general:
      return std::make_shared<GeneralScore>(
          GeneralScoreOptions{.dim_query = o.dim_query, .dim_key = o.dim_key, .seed = o.seed});
    case ScoreKind::additive:
      return std::make_shared<AdditiveScore>(
          AdditiveScoreOptions{.dim_query = o.dim_query, .dim_key = o.dim_key, .hidden = o.hidden, .seed = o.seed});
    case ScoreKind::mlp:
      return std::make_shared<MlpScore>(MlpScoreOptions{.dim_query = o.dim_query,
                                                        .dim_key = o.dim_key,
                                                        .hidden = o.hidden,
                                                        .activation = o.activation,
                                                        .seed = o.seed});
  }
  ATTEND_ASSERT(false, "unknown ScoreKind {}", static_cast<int>(o.kind));
}

ScoreKind parse_score_kind(const std::string& name) {
  if (name == "dot") return ScoreKind::dot;
  if (name == "scaled_dot") return ScoreKind::scaled_dot;
  if (name == "general") return ScoreKind::general;
  if (name == "additive" || name == "bahdanau") return ScoreKind::additive;
  if (name == "mlp") return ScoreKind::mlp;
  throw Error(fmt::format(
      "parse_score_kind: unknown score kind '{}' (expected dot, scaled_dot, general, additive (or bahdanau), mlp)",
      name));
}

const char* score_kind_name(ScoreKind kind) {
  switch (kind) {
    case ScoreKind::dot: return "dot";
    case ScoreKind::scaled_dot: return "scaled_dot";
    case ScoreKind::general: return "general";
    case ScoreKind::additive: return "additive";
    case ScoreKind::mlp: return "mlp";
  }
  return "unknown";
}

}  // namespace attend::nn
