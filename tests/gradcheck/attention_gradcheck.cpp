// Gradcheck rows for nn/attention: each scorer, attention() under each kind of mask, scaled_dot_product_attention
// (grouped-query heads, dropout off) and GlobalAttention for each attn_type, including the one-step query.
// attention() rows check the context and the weights together (both flattened into one output).
#include "attend/nn/attention/additive_score.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/nn/attention/dot_score.hpp"
#include "attend/nn/attention/general_score.hpp"
#include "attend/nn/attention/global_attention.hpp"
#include "attend/nn/attention/mlp_score.hpp"
#include "attend/ops/shape.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
using nn::AttentionMask;
using nn::AttentionOutput;

Var both(const AttentionOutput& o) { return concat({reshape(o.context, {-1}), reshape(o.weights, {-1})}, 0); }

Tensor lengths(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}

template <class S, class O>
std::function<std::shared_ptr<S>()> maker(O options) {
  return [options] { return std::make_shared<S>(options); };
}

const nn::DotScoreOptions kDot{.dim = 4, .scaled = false, .scale = std::nullopt};
const nn::DotScoreOptions kScaledDot{.dim = 4, .scaled = true, .scale = std::nullopt};
const nn::GeneralScoreOptions kGeneral{.dim_query = 3, .dim_key = 4, .seed = 1};
const nn::AdditiveScoreOptions kAdditive{.dim_query = 3, .dim_key = 4, .hidden = 5, .seed = 2};
const nn::MlpScoreOptions kMlpTanh{
    .dim_query = 3, .dim_key = 4, .hidden = 5, .activation = nn::ScoreActivation::tanh, .seed = 3};
const nn::MlpScoreOptions kMlpRelu{
    .dim_query = 3, .dim_key = 4, .hidden = 5, .activation = nn::ScoreActivation::relu, .seed = 4};

template <class S>
Var score(S& s, const X& x) {
  return s.score(x[0], x[1]);
}
// attention() with the scorer and a mask built per call (masks hold no gradient state except the bias).
template <class S>
std::function<Var(S&, const X&)> attend_with(std::function<AttentionMask(const X&)> mask) {
  return [mask](S& s, const X& x) { return both(nn::attention(x[0], x[1], x[2], mask(x), s)); };
}

AttentionMask by_lengths(const X&) { return AttentionMask::key_lengths(lengths({4, 2})); }
AttentionMask keep_some(const X&) {
  return AttentionMask::keep_keys(Tensor::from_vector(std::vector<uint8_t>{1, 0, 1, 1, 0, 0, 1, 0}, {2, 4}));
}
AttentionMask causal(const X&) { return AttentionMask::causal(1); }
AttentionMask learned_bias(const X& x) { return AttentionMask::bias(x[3]); }  // bias [Tq, Tk] is an input
AttentionMask combined(const X& x) {
  return AttentionMask::key_lengths(lengths({3, 0})) & AttentionMask::causal(0) & AttentionMask::bias(x[3]);
}

nn::ScaledDotProductOptions sdpa_options(double dropout) {
  return {.scale = std::nullopt, .dropout = dropout, .training = false, .rng = nullptr, .need_weights = true};
}

std::function<std::shared_ptr<nn::GlobalAttention>()> global(nn::ScoreKind type) {
  return [type] { return std::make_shared<nn::GlobalAttention>(nn::GlobalAttentionOptions{.dim = 3, .attn_type = type,
                                                                                          .seed = 5}); };
}
Var global_forward(nn::GlobalAttention& m, const X& x) {
  const nn::GlobalAttentionOutput o = m.forward(x[0], x[1], AttentionMask::key_lengths(lengths({3, 2})));
  return concat({reshape(o.attn_h, {-1}), reshape(o.align, {-1})}, 0);
}

const Shape kQ{2, 3, 3}, kK{2, 4, 4}, kV{2, 4, 2}, kBias{3, 4};

ATTEND_GRADCHECK_CASES({
    module_row<nn::DotScore>("nn.DotScore", {{2, 3, 4}, kK}, maker<nn::DotScore>(kDot), score<nn::DotScore>),
    module_row<nn::DotScore>("nn.DotScore", {{2, 3, 4}, kK}, maker<nn::DotScore>(kScaledDot), score<nn::DotScore>,
                             "scaled"),
    module_row<nn::GeneralScore>("nn.GeneralScore", {kQ, kK}, maker<nn::GeneralScore>(kGeneral),
                                 score<nn::GeneralScore>),
    module_row<nn::AdditiveScore>("nn.AdditiveScore", {kQ, kK}, maker<nn::AdditiveScore>(kAdditive),
                                  score<nn::AdditiveScore>),
    module_row<nn::MlpScore>("nn.MlpScore", {kQ, kK}, maker<nn::MlpScore>(kMlpTanh), score<nn::MlpScore>, "tanh"),
    module_row<nn::MlpScore>("nn.MlpScore", {kQ, kK}, maker<nn::MlpScore>(kMlpRelu), score<nn::MlpScore>, "relu"),

    // attention(): the additive scorer (parameters on both sides of the softmax) under each kind of mask.
    module_row<nn::AdditiveScore>("nn.attention", {kQ, kK, kV}, maker<nn::AdditiveScore>(kAdditive),
                                  attend_with<nn::AdditiveScore>([](const X&) { return AttentionMask(); }), "no_mask"),
    module_row<nn::AdditiveScore>("nn.attention", {kQ, kK, kV}, maker<nn::AdditiveScore>(kAdditive),
                                  attend_with<nn::AdditiveScore>(by_lengths), "key_lengths"),
    module_row<nn::GeneralScore>("nn.attention", {kQ, kK, kV}, maker<nn::GeneralScore>(kGeneral),
                                 attend_with<nn::GeneralScore>(keep_some), "keep_keys"),
    module_row<nn::MlpScore>("nn.attention", {kQ, kK, kV}, maker<nn::MlpScore>(kMlpTanh),
                             attend_with<nn::MlpScore>(causal), "causal"),
    module_row<nn::DotScore>("nn.attention", {{2, 3, 4}, kK, kV, kBias}, maker<nn::DotScore>(kScaledDot),
                             attend_with<nn::DotScore>(learned_bias), "bias_requires_grad"),
    // Item 1 has no key at all: its gradients are 0 on both sides.
    module_row<nn::AdditiveScore>("nn.attention", {kQ, kK, kV, kBias}, maker<nn::AdditiveScore>(kAdditive),
                                  attend_with<nn::AdditiveScore>(combined), "combined_with_empty_item"),

    {"nn.scaled_dot_product_attention", {{2, 2, 3, 4}, {2, 2, 4, 4}, {2, 2, 4, 3}},
     [](const X& x) {
       return both(nn::scaled_dot_product_attention(x[0], x[1], x[2], AttentionMask::causal(), sdpa_options(0.0)));
     }},
    {"nn.scaled_dot_product_attention", {{1, 4, 2, 3}, {1, 2, 3, 3}, {1, 2, 3, 2}},
     [](const X& x) {
       return both(nn::scaled_dot_product_attention(x[0], x[1], x[2], AttentionMask::key_lengths(lengths({2})),
                                                    sdpa_options(0.0)));
     },
     Domain::any, "grouped_query"},
    // dropout 0.5 but not training: no dropout, so the function is deterministic and differentiable.
    {"nn.scaled_dot_product_attention", {{1, 2, 2, 3}, {1, 2, 3, 3}, {1, 2, 3, 2}, {1, 2, 2, 3}},
     [](const X& x) {
       return both(nn::scaled_dot_product_attention(x[0], x[1], x[2], AttentionMask::bias(x[3]), sdpa_options(0.5)));
     },
     Domain::any, "dropout_off_with_bias"},

    module_row<nn::GlobalAttention>("nn.GlobalAttention", {{2, 2, 3}, {2, 3, 3}}, global(nn::ScoreKind::dot),
                                    global_forward, "dot"),
    module_row<nn::GlobalAttention>("nn.GlobalAttention", {{2, 2, 3}, {2, 3, 3}}, global(nn::ScoreKind::general),
                                    global_forward, "general"),
    module_row<nn::GlobalAttention>("nn.GlobalAttention", {{2, 2, 3}, {2, 3, 3}}, global(nn::ScoreKind::additive),
                                    global_forward, "additive"),
    module_row<nn::GlobalAttention>("nn.GlobalAttention", {{2, 3}, {2, 3, 3}}, global(nn::ScoreKind::general),
                                    global_forward, "general_one_step"),
    module_row<nn::GlobalAttention>("nn.GlobalAttention", {{2, 3}, {2, 3, 3}}, global(nn::ScoreKind::additive),
                                    global_forward, "additive_one_step"),
});

}  // namespace
}  // namespace attend::testing
