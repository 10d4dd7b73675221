// GlobalAttention: attention() with the memory as keys and values, then OpenNMT-py's output layer on [c; q].
#include "attend/nn/attention/global_attention.hpp"

#include "attend/core/error.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/shape.hpp"

namespace attend::nn {

namespace {

const GlobalAttentionOptions& checked(const GlobalAttentionOptions& o) {
  ATTEND_CHECK(o.dim > 0, "GlobalAttention: dim must be positive, got {}", o.dim);
  ATTEND_CHECK(o.attn_type == ScoreKind::dot || o.attn_type == ScoreKind::general || o.attn_type == ScoreKind::additive,
               "GlobalAttention: attn_type must be dot, general or additive (OpenNMT-py's mlp), got {}",
               score_kind_name(o.attn_type));
  return o;
}

ScorerOptions scorer_options(const GlobalAttentionOptions& o) {
  ScorerOptions s;
  s.kind = o.attn_type;
  s.dim_query = s.dim_key = o.dim;
  s.seed = o.seed;
  return s;
}

}  // namespace

GlobalAttention::GlobalAttention(const GlobalAttentionOptions& options)
    : options_(checked(options)),
      scorer_(make_scorer(scorer_options(options))) {
  // OpenNMT-py's names are flat (linear_in.weight, not scorer.linear_in.weight): adopt the scorer's children.
  size_t adopted = 0;
  for (const auto& [name, child] : scorer_->children()) {
    register_module(name, child);
    adopted += child->named_parameters().size();
  }
  ATTEND_ASSERT(adopted == scorer_->named_parameters().size(), "the {} scorer has parameters outside its children",
                scorer_->kind_name());
  const bool bias = options.attn_type == ScoreKind::additive;
  linear_out_ = register_module(
      "linear_out", std::make_shared<Linear>(LinearOptions{2 * options.dim, options.dim, bias, options.seed * 4}));
}

ScorerKeys GlobalAttention::prepare(const Var& memory) const {
  ATTEND_CHECK(memory.defined() && memory.dim() == 3 && memory.size(2) == options_.dim,
               "GlobalAttention: memory must be [B, Tk, {}] (dim), got shape {}", options_.dim,
               memory.defined() ? shape_str(memory.shape()) : std::string("undefined"));
  return scorer_->prepare(memory);
}

GlobalAttentionOutput GlobalAttention::forward(const Var& query, const Var& memory, const AttentionMask& mask) const {
  return forward(query, prepare(memory), mask);
}

GlobalAttentionOutput GlobalAttention::forward(const Var& query, const ScorerKeys& memory,
                                               const AttentionMask& mask) const {
  const int64_t D = options_.dim;
  ATTEND_CHECK(memory.keys.defined() && memory.keys.dim() == 3 && memory.keys.size(2) == D,
               "GlobalAttention: memory must be [B, Tk, {}] (dim), got shape {}", D,
               memory.keys.defined() ? shape_str(memory.keys.shape()) : std::string("undefined"));
  ATTEND_CHECK(query.defined() && (query.dim() == 2 || query.dim() == 3) && query.size(-1) == D,
               "GlobalAttention: query must be [B, Tq, {}] or [B, {}] (dim), got shape {}; memory shape {}", D, D,
               query.defined() ? shape_str(query.shape()) : std::string("undefined"), shape_str(memory.keys.shape()));
  ATTEND_CHECK(query.size(0) == memory.keys.size(0),
               "GlobalAttention: query and memory must have the same batch (got {} and {}); query shape {}, memory "
               "shape {}",
               query.size(0), memory.keys.size(0), shape_str(query.shape()), shape_str(memory.keys.shape()));
  const bool one_step = query.dim() == 2;
  const Var q = one_step ? unsqueeze(query, 1) : query;                   // [B, Tq, D]
  const auto [context, align] = attention(q, memory, memory.keys, mask, *scorer_);  // [B, Tq, D], [B, Tq, Tk]
  Var h = linear_out_->forward(concat({context, q}, 2));                  // [B, Tq, 2D] -> [B, Tq, D]
  if (options_.attn_type != ScoreKind::additive) h = tanh(h);
  if (one_step) return {squeeze(h, 1), squeeze(align, 1)};                // [B, D], [B, Tk]
  return {h, align};
}

}  // namespace attend::nn
