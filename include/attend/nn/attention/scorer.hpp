// Scorer: the one interface behind every attention score, used by attention(), GlobalAttention and the RNN
// attention decoders. A scorer maps a query and a set of keys to one number per (query, key) pair:
//
//   score(query [B, Tq, Dq], keys [B, Tk, Dk]) -> [B, Tq, Tk]
//
// Implementations (one file each, parameter names as OpenNMT-py's GlobalAttention):
//   DotScore       q·k, optionally scaled by 1/√d or a given factor          (Luong "dot"; Vaswani "scaled dot")
//   GeneralScore   (W q)·k                      linear_in.weight [Dk, Dq]      (Luong "general", bilinear)
//   AdditiveScore  vᵀ tanh(W_q q + b + W_k k)   linear_query.{weight,bias}, linear_context.weight, v.weight
//                                                                              (Bahdanau; OpenNMT "mlp")
//   MlpScore       w₂ᵀ act(W₁ [q; k] + b₁) + b₂  fc1.{weight,bias}, fc2.{weight,bias}
//
// Work that depends only on the keys (additive: W_k k; MLP: the key half of W₁ [q; k]) is done once per source by
// prepare(); a decoder calls prepare once and score_prepared once per step. score(q, k) does both.
//
// Usage:
//   std::shared_ptr<Scorer> s = make_scorer({.kind = ScoreKind::additive, .dim_query = 64, .dim_key = 64});
//   ScorerKeys keys = s->prepare(memory);                  // once per source: memory [B, Ts, 64]
//   Var scores = s->score_prepared(h_t, keys);               // each step: h_t [B, 1, 64] -> [B, 1, Ts]
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "attend/nn/module.hpp"

namespace attend::nn {

/// The keys as a scorer needs them: the keys themselves and, for scorers that project them, the projection.
struct ScorerKeys {
  Var keys;       ///< [B, Tk, Dk]
  Var projected;  ///< scorer-specific, computed once per source (undefined when the scorer has none)
  /// Optional i64 [B]: keys j ≥ lengths[b] will be masked out by a key-lengths mask, so a scorer may skip them and
  /// leave their scores 0 (the additive scorer does). Set it only when that mask is applied to the scores.
  Tensor lengths;
};

class Scorer : public Module {
 public:
  /// Once per source: keys [B, Tk, Dk] -> what score_prepared needs. The default keeps the keys as they are.
  virtual ScorerKeys prepare(const Var& keys) const { return {keys, Var(), Tensor()}; }
  /// query [B, Tq, Dq], prepared keys -> scores [B, Tq, Tk]. Throws naming both shapes when they do not fit.
  virtual Var score_prepared(const Var& query, const ScorerKeys& keys) const = 0;
  /// prepare + score_prepared.
  Var score(const Var& query, const Var& keys) const { return score_prepared(query, prepare(keys)); }

  /// "dot", "scaled_dot", "general", "additive", "mlp".
  virtual std::string kind_name() const = 0;
  virtual int64_t dim_query() const = 0;
  virtual int64_t dim_key() const = 0;
};

enum class ScoreKind { dot, scaled_dot, general, additive, mlp };
enum class ScoreActivation { tanh, relu };

/// Everything any scorer needs; each kind reads the fields it uses.
struct ScorerOptions {
  ScoreKind kind = ScoreKind::dot;
  int64_t dim_query = 0;
  int64_t dim_key = 0;  ///< 0: same as dim_query
  std::optional<double> scale = std::nullopt;  ///< scaled_dot: the factor (default 1/√dim_key)
  int64_t hidden = 0;  ///< additive: width of the tanh layer (0: dim_key, as OpenNMT-py); mlp: hidden size (required)
  ScoreActivation activation = ScoreActivation::tanh;  ///< mlp
  uint64_t seed = 0;
};

/// A scorer of options.kind. Throws naming the option when a required size is missing or inconsistent.
std::shared_ptr<Scorer> make_scorer(const ScorerOptions& options);
/// "dot", "scaled_dot", "general", "additive" (alias "bahdanau"), "mlp" -> the kind. Throws listing the names.
/// (OpenNMT-py calls additive "mlp"; its importers map that name themselves.)
ScoreKind parse_score_kind(const std::string& name);
const char* score_kind_name(ScoreKind kind);

}  // namespace attend::nn
