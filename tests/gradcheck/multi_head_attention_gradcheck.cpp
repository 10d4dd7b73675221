// Gradcheck rows for nn.MultiHeadAttention (every mask kind, separate projections, appended keys, grouped heads,
// rotary, averaged weights) and the rotary function. Sizes stay tiny: every input and parameter element is perturbed.
#include "attend/nn/attention/multi_head_attention.hpp"
#include "attend/nn/attention/rotary.hpp"
#include "attend/ops/shape.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
using nn::AttentionMask;
using nn::MultiHeadAttention;
using nn::MultiHeadAttentionOptions;

// B = 2, Tq = 2, Tk = 3, E = 4, H = 2 unless a row says otherwise.
const Shape kQ{2, 2, 4}, kK{2, 3, 4};

std::function<std::shared_ptr<MultiHeadAttention>()> make(MultiHeadAttentionOptions o) {
  return [o] { return std::make_shared<MultiHeadAttention>(o); };
}

Tensor i64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<int64_t>(v, {n});
}

Tensor u8(std::vector<uint8_t> v, const Shape& s) { return Tensor::from_vector<uint8_t>(v, s); }

// Cross-attention output under `mask`: x = {query, key, value}.
std::function<Var(MultiHeadAttention&, const X&)> cross(AttentionMask mask) {
  return [mask](MultiHeadAttention& m, const X& x) { return m.forward(x[0], x[1], x[2], mask).output; };
}

const MultiHeadAttentionOptions kBase{.embed_dim = 4, .num_heads = 2, .seed = 1};

ATTEND_GRADCHECK_CASES({
    module_row<MultiHeadAttention>("nn.MultiHeadAttention", {kQ, kK, kK}, make(kBase),
                                   cross(AttentionMask::key_lengths(i64({3, 1}))), "key_lengths"),
    module_row<MultiHeadAttention>("nn.MultiHeadAttention", {kQ, kK, kK}, make(kBase),
                                   cross(AttentionMask::key_lengths(i64({2, 0}))), "fully_masked_item"),
    module_row<MultiHeadAttention>("nn.MultiHeadAttention", {kQ, kK, kK}, make(kBase),
                                   cross(AttentionMask::drop_keys(u8({0, 1, 0, 0, 0, 1}, {2, 3}))), "drop_keys"),
    module_row<MultiHeadAttention>(
        "nn.MultiHeadAttention", {{2, 3, 4}}, make(kBase),
        [](MultiHeadAttention& m, const X& x) { return m.forward(x[0], x[0], x[0], AttentionMask::causal()).output; },
        "self_causal"),
    // A float bias that requires a gradient (ALiBi-like, learned relative positions): x[3] is [H, Tq, Tk].
    module_row<MultiHeadAttention>(
        "nn.MultiHeadAttention", {kQ, kK, kK, {2, 2, 3}}, make(kBase),
        [](MultiHeadAttention& m, const X& x) { return m.forward(x[0], x[1], x[2], AttentionMask::bias(x[3])).output; },
        "float_bias"),
    module_row<MultiHeadAttention>(
        "nn.MultiHeadAttention", {kQ, kK, kK, {2, 1, 2, 3}}, make(kBase),
        [](MultiHeadAttention& m, const X& x) {
          const AttentionMask mask = AttentionMask::key_lengths(i64({3, 2})) & AttentionMask::causal(1) &
                                     AttentionMask::drop(u8({0, 0, 1, 0, 0, 0}, {2, 3})) & AttentionMask::bias(x[3]);
          return m.forward(x[0], x[1], x[2], mask).output;
        },
        "combined"),
    module_row<MultiHeadAttention>("nn.MultiHeadAttention", {kQ, {2, 3, 3}, {2, 3, 5}},
                                   make({.embed_dim = 4, .num_heads = 2, .kdim = 3, .vdim = 5, .seed = 2}),
                                   cross(AttentionMask::key_lengths(i64({3, 2}))), "kdim_vdim"),
    module_row<MultiHeadAttention>(
        "nn.MultiHeadAttention", {kQ, kK, kK},
        make({.embed_dim = 4, .num_heads = 2, .add_bias_kv = true, .add_zero_attn = true, .seed = 3}),
        cross(AttentionMask::key_lengths(i64({3, 0}))), "bias_kv_zero_attn"),
    module_row<MultiHeadAttention>("nn.MultiHeadAttention", {{2, 2, 8}, {2, 3, 8}, {2, 3, 8}},
                                   make({.embed_dim = 8, .num_heads = 4, .num_kv_heads = 2, .seed = 4}),
                                   cross(AttentionMask::key_lengths(i64({3, 2}))), "grouped_query"),
    module_row<MultiHeadAttention>(
        "nn.MultiHeadAttention", {{2, 3, 8}}, make({.embed_dim = 8, .num_heads = 2, .rotary = true, .seed = 5}),
        [](MultiHeadAttention& m, const X& x) {
          nn::KeyValueCache cache;  // two steps through the cache: positions continue at the cached length
          const Var a = m.forward(narrow(x[0], 1, 0, 2), narrow(x[0], 1, 0, 2), narrow(x[0], 1, 0, 2),
                                  AttentionMask::causal(0), {.cache = &cache}).output;
          const Var b = m.forward(narrow(x[0], 1, 2, 1), narrow(x[0], 1, 2, 1), narrow(x[0], 1, 2, 1),
                                  AttentionMask::causal(cache.length()), {.cache = &cache}).output;
          return concat({a, b}, 1);
        },
        "rotary_cached"),
    module_row<MultiHeadAttention>(
        "nn.MultiHeadAttention", {{2, 2, 4}, {3, 2, 4}, {3, 2, 4}},  // time-first: [T, B, C]
        make({.embed_dim = 4, .num_heads = 2, .batch_first = false, .seed = 6}),
        [](MultiHeadAttention& m, const X& x) {
          const auto r = m.forward(x[0], x[1], x[2], AttentionMask::key_lengths(i64({2, 3})), {.need_weights = true});
          return concat({reshape(r.output, {-1}), reshape(r.weights, {-1})}, 0);  // output and averaged weights
        },
        "need_weights_averaged"),
    module_row<MultiHeadAttention>(
        "nn.MultiHeadAttention", {kQ, kK, kK}, make(kBase),
        [](MultiHeadAttention& m, const X& x) {
          return m.forward(x[0], x[1], x[2], {}, {.need_weights = true, .average_weights = false}).weights;
        },
        "weights_per_head"),
    {"nn.apply_rotary", {{1, 2, 3, 4}}, [](const X& x) { return nn::apply_rotary(x[0], 2, 100.0); }},
});

}  // namespace
}  // namespace attend::testing
