#include "attend/nn/attention/multi_head_attention.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/indexing.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::AllOf;
using ::testing::HasSubstr;

Var randn(const Shape& s, uint64_t seed, bool grad = false, DType dtype = DType::f32) {
  Rng rng(seed);
  return Var(Tensor::randn(s, rng, dtype), grad);
}

// Every parameter (biases included) replaced by N(0, 1/fan_in) values, so no term of the forward is trivially zero.
void randomize(Module& m, uint64_t seed) {
  std::map<std::string, Tensor> state;
  uint64_t stream = 0;
  for (const auto& [name, p] : m.named_parameters()) {
    Rng rng(seed, stream++);
    const double std = p.dim() == 2 ? 1.0 / std::sqrt(static_cast<double>(p.size(1))) : 0.5;
    state[name] = Tensor::randn(p.shape(), rng, p.dtype(), 0.0, std);
  }
  m.load_state_dict(state);
}

Tensor lengths(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<int64_t>(v, {n});
}

std::vector<std::pair<std::string, Shape>> names_and_shapes(const Module& m) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& [name, p] : m.named_parameters()) out.emplace_back(name, p.shape());
  return out;
}

bool all_finite(const Tensor& t) {
  for (double x : t.to_vector<double>()) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

// ---- parameters ------------------------------------------------------------------------------------------------

TEST(MultiHeadAttention, PackedParametersHaveTorchNamesShapesAndOrder) {
  using V = std::vector<std::pair<std::string, Shape>>;
  MultiHeadAttention packed({.embed_dim = 16, .num_heads = 4, .add_bias_kv = true});
  EXPECT_TRUE(packed.packed_projection());
  EXPECT_EQ(names_and_shapes(packed), (V{{"in_proj_weight", {48, 16}}, {"in_proj_bias", {48}}, {"bias_k", {1, 1, 16}},
                                         {"bias_v", {1, 1, 16}}, {"out_proj.weight", {16, 16}},
                                         {"out_proj.bias", {16}}}));
  MultiHeadAttention nobias({.embed_dim = 16, .num_heads = 4, .bias = false});
  EXPECT_EQ(names_and_shapes(nobias), (V{{"in_proj_weight", {48, 16}}, {"out_proj.weight", {16, 16}}}));
  EXPECT_EQ(nobias.state_dict().size(), 2u);
}

TEST(MultiHeadAttention, SeparateProjectionsWhenKdimOrVdimDifferOrHeadsAreGrouped) {
  using V = std::vector<std::pair<std::string, Shape>>;
  MultiHeadAttention kv({.embed_dim = 16, .num_heads = 4, .add_bias_kv = true, .kdim = 10, .vdim = 6});
  EXPECT_FALSE(kv.packed_projection());
  EXPECT_EQ(names_and_shapes(kv), (V{{"q_proj_weight", {16, 16}}, {"k_proj_weight", {16, 10}},
                                     {"v_proj_weight", {16, 6}}, {"in_proj_bias", {48}}, {"bias_k", {1, 1, 16}},
                                     {"bias_v", {1, 1, 16}}, {"out_proj.weight", {16, 16}}, {"out_proj.bias", {16}}}));
  MultiHeadAttention only_v({.embed_dim = 8, .num_heads = 2, .vdim = 5});
  EXPECT_EQ(names_and_shapes(only_v)[1], (std::pair<std::string, Shape>{"k_proj_weight", {8, 8}}));
  // Grouped-query: 4 query heads of width 4 share 2 key/value heads, so k/v project to 2·4 = 8.
  MultiHeadAttention gqa({.embed_dim = 16, .num_heads = 4, .add_bias_kv = true, .num_kv_heads = 2});
  EXPECT_EQ(names_and_shapes(gqa), (V{{"q_proj_weight", {16, 16}}, {"k_proj_weight", {8, 16}},
                                      {"v_proj_weight", {8, 16}}, {"in_proj_bias", {32}}, {"bias_k", {1, 1, 8}},
                                      {"bias_v", {1, 1, 8}}, {"out_proj.weight", {16, 16}}, {"out_proj.bias", {16}}}));
  EXPECT_EQ(gqa.options().kdim, 16);
  EXPECT_EQ(gqa.options().num_kv_heads, 2);
}

TEST(MultiHeadAttention, InitialisesLikeTorchAndIsSeeded) {
  const int64_t E = 32;
  MultiHeadAttention m({.embed_dim = E, .num_heads = 4, .add_bias_kv = true, .seed = 5});
  const auto state = m.state_dict();
  const double xavier = std::sqrt(6.0 / (E + 3 * E));  // in_proj_weight [3E, E]
  double most = 0.0;
  for (double w : state.at("in_proj_weight").to_vector<double>()) most = std::max(most, std::abs(w));
  EXPECT_LE(most, xavier);
  EXPECT_GT(most, 0.95 * xavier);
  EXPECT_TRUE(all_close(state.at("in_proj_bias"), Tensor::zeros({3 * E}), 0.0, 0.0));
  EXPECT_TRUE(all_close(state.at("out_proj.bias"), Tensor::zeros({E}), 0.0, 0.0));
  double out_most = 0.0;
  for (double w : state.at("out_proj.weight").to_vector<double>()) out_most = std::max(out_most, std::abs(w));
  EXPECT_LE(out_most, 1.0 / std::sqrt(E));  // nn.Linear's kaiming-uniform bound
  // bias_k ~ xavier_normal of [1, 1, E]: std √(2 / (E + E)).
  double sq = 0.0;
  for (double b : state.at("bias_k").to_vector<double>()) sq += b * b;
  EXPECT_NEAR(std::sqrt(sq / E), std::sqrt(1.0 / E), 0.5 * std::sqrt(1.0 / E));
  EXPECT_FALSE(all_close(state.at("bias_k"), state.at("bias_v"), 1e-3, 0.0));

  MultiHeadAttention same({.embed_dim = E, .num_heads = 4, .add_bias_kv = true, .seed = 5});
  MultiHeadAttention other({.embed_dim = E, .num_heads = 4, .add_bias_kv = true, .seed = 6});
  for (const auto& [name, t] : state) {
    EXPECT_TRUE(attend::testing::bitwise_equal(same.state_dict().at(name), t)) << name;
    if (name != "in_proj_bias" && name != "out_proj.bias") {
      EXPECT_FALSE(all_close(other.state_dict().at(name), t, 1e-3, 0.0)) << name;
    }
  }
}

// ---- constructor and forward errors ----------------------------------------------------------------------------

TEST(MultiHeadAttention, ConstructorErrorsNameTheOptions) {
  EXPECT_THAT(error_of([] { MultiHeadAttention({.embed_dim = 16, .num_heads = 3}); }),
              AllOf(HasSubstr("num_heads (3)"), HasSubstr("embed_dim (16)")));
  EXPECT_THAT(error_of([] { MultiHeadAttention({.embed_dim = 16, .num_heads = 4, .num_kv_heads = 3}); }),
              AllOf(HasSubstr("num_kv_heads (3)"), HasSubstr("num_heads (4)")));
  EXPECT_THAT(error_of([] { MultiHeadAttention({.embed_dim = 6, .num_heads = 2, .rotary = true}); }),
              AllOf(HasSubstr("rotary"), HasSubstr("even head width"), HasSubstr("= 3")));
  EXPECT_THAT(error_of([] { MultiHeadAttention({.embed_dim = 8, .num_heads = 2, .dropout = 1.0}); }),
              HasSubstr("dropout must be in [0, 1)"));
  EXPECT_THAT(error_of([] { MultiHeadAttention({.embed_dim = 0, .num_heads = 1}); }), HasSubstr("embed_dim"));
}

class MultiHeadAttentionErrors : public ::testing::Test {
 protected:
  MultiHeadAttention m{{.embed_dim = 16, .num_heads = 4, .kdim = 6, .vdim = 10}};
  Var q = randn({2, 3, 16}, 1), k = randn({2, 5, 6}, 2), v = randn({2, 5, 10}, 3);
};

TEST_F(MultiHeadAttentionErrors, WrongWidthsNameTheArgumentAndShapes) {
  EXPECT_THAT(error_of([&] { m.forward(randn({2, 3, 12}, 1), k, v); }),
              AllOf(HasSubstr("query must be [B, T, C]"), HasSubstr("embed_dim (16)"), HasSubstr("[2, 3, 12]")));
  EXPECT_THAT(error_of([&] { m.forward(q, randn({2, 5, 16}, 2), v); }),
              AllOf(HasSubstr("key must be"), HasSubstr("kdim (6)"), HasSubstr("key shape [2, 5, 16]"),
                    HasSubstr("query shape [2, 3, 16]")));
  EXPECT_THAT(error_of([&] { m.forward(q, k, randn({2, 5, 6}, 3)); }),
              AllOf(HasSubstr("value must be"), HasSubstr("vdim (10)"), HasSubstr("value shape [2, 5, 6]"),
                    HasSubstr("query shape [2, 3, 16]")));
  EXPECT_THAT(error_of([&] { m.forward(randn({2, 16}, 1), k, v); }), HasSubstr("query shape [2, 16]"));
}

TEST_F(MultiHeadAttentionErrors, KeyAndValueMustAgreeInBatchAndLength) {
  EXPECT_THAT(error_of([&] { m.forward(q, k, randn({2, 4, 10}, 3)); }),
              AllOf(HasSubstr("key and value must have the same batch and length"), HasSubstr("key shape [2, 5, 6]"),
                    HasSubstr("value shape [2, 4, 10]")));
  EXPECT_THAT(error_of([&] { m.forward(q, randn({3, 5, 6}, 2), randn({2, 5, 10}, 3)); }),
              AllOf(HasSubstr("key shape [3, 5, 6]"), HasSubstr("value shape [2, 5, 10]")));
  EXPECT_THAT(error_of([&] { m.forward(q, randn({3, 5, 6}, 2), randn({3, 5, 10}, 3)); }),
              AllOf(HasSubstr("query's batch 2"), HasSubstr("key shape [3, 5, 6]"),
                    HasSubstr("query shape [2, 3, 16]")));
}

TEST_F(MultiHeadAttentionErrors, AMaskThatDoesNotFitNamesTheMaskAndTheScores) {
  EXPECT_THAT(error_of([&] { m.forward(q, k, v, AttentionMask::key_lengths(lengths({5, 5, 5}))); }),
              AllOf(HasSubstr("mask does not fit"), HasSubstr("[2, 4, 3, 5]"), HasSubstr("key_lengths has 3 entries"),
                    HasSubstr("key shape [2, 5, 6]")));
  EXPECT_THAT(error_of([&] { m.forward(q, k, v, AttentionMask::drop_keys(Tensor::zeros({2, 6}, DType::u8))); }),
              AllOf(HasSubstr("mask does not fit"), HasSubstr("key mask shape [2, 6]"), HasSubstr("[2, 4, 3, 5]")));
  EXPECT_THAT(error_of([&] { m.forward(q, k, v, AttentionMask::bias(randn({3, 4}, 4))); }),
              AllOf(HasSubstr("mask does not fit"), HasSubstr("bias shape [3, 4]"), HasSubstr("[2, 4, 3, 5]")));
}

TEST(MultiHeadAttention, CacheAndStaticKvErrors) {
  MultiHeadAttention m({.embed_dim = 8, .num_heads = 2, .rotary = true});
  KeyValueCache cache;
  const Var x = randn({2, 1, 8}, 1);
  EXPECT_THAT(error_of([&] { m.forward(x, x, x, {}, {.cache = &cache, .static_kv = true}); }),
              AllOf(HasSubstr("rotary"), HasSubstr("static_kv"), HasSubstr("[2, 1, 8]")));
  m.forward(x, x, x, {}, {.cache = &cache});
  const Var y = randn({3, 1, 8}, 2);  // a different batch than the cached one
  EXPECT_THAT(error_of([&] { m.forward(y, y, y, {}, {.cache = &cache}); }),
              AllOf(HasSubstr("cache keys/values must be [B=3, Hkv=2, T, D=4]"), HasSubstr("[2, 2, 1, 4]"),
                    HasSubstr("query shape [3, 1, 8]")));
  // A static (cross-attention) cache made for batch 2, then read by a query of batch 3.
  MultiHeadAttention cross({.embed_dim = 8, .num_heads = 2});
  KeyValueCache memory;
  const Var mem = randn({2, 4, 8}, 3);
  cross.forward(x, mem, mem, {}, {.cache = &memory, .static_kv = true});
  EXPECT_THAT(error_of([&] { cross.forward(y, Var(), Var(), {}, {.cache = &memory, .static_kv = true}); }),
              AllOf(HasSubstr("cached keys have batch 2 but the query has 3"), HasSubstr("[2, 2, 4, 4]"),
                    HasSubstr("query shape [3, 1, 8]")));
}

// ---- behaviour ---------------------------------------------------------------------------------------------------

void expect_incremental_equals_full(const MultiHeadAttentionOptions& options, const std::vector<int64_t>& chunks) {
  MultiHeadAttention m(options);
  randomize(m, 7);
  m.eval();
  int64_t T = 0;
  for (int64_t n : chunks) T += n;
  const Var x = randn({2, T, options.embed_dim}, 11);
  const Var full = m.forward(x, x, x, AttentionMask::causal()).output;  // [2, T, E]
  KeyValueCache cache;
  std::vector<Var> steps;
  int64_t t = 0;
  for (int64_t n : chunks) {
    const Var xt = narrow(x, 1, t, n);  // [2, n, E]
    steps.push_back(m.forward(xt, xt, xt, AttentionMask::causal(cache.length()), {.cache = &cache}).output);
    t += n;
    EXPECT_EQ(cache.length(), t);
  }
  EXPECT_TRUE(all_close(concat(steps, 1).value(), full.value(), 1e-6, 0.0));
}

TEST(MultiHeadAttention, IncrementalDecodingEqualsTheFullCausalComputation) {
  expect_incremental_equals_full({.embed_dim = 16, .num_heads = 4}, {1, 1, 1, 1, 1, 1});
  expect_incremental_equals_full({.embed_dim = 16, .num_heads = 4}, {3, 1, 2});
}

TEST(MultiHeadAttention, IncrementalDecodingWithRotaryEqualsTheFullCausalComputation) {
  expect_incremental_equals_full({.embed_dim = 16, .num_heads = 4, .rotary = true}, {1, 1, 1, 1, 1});
  expect_incremental_equals_full({.embed_dim = 16, .num_heads = 2, .rotary = true, .rotary_base = 100.0}, {2, 1, 3});
  // Appended keys (bias_kv, zero) and grouped heads are re-appended each step, never cached.
  expect_incremental_equals_full({.embed_dim = 16, .num_heads = 4, .add_bias_kv = true, .add_zero_attn = true,
                                  .num_kv_heads = 2, .rotary = true},
                                 {1, 2, 1, 1});
}

TEST(MultiHeadAttention, CrossAttentionWithStaticKvProjectsTheMemoryOnce) {
  MultiHeadAttention m({.embed_dim = 16, .num_heads = 4, .add_bias_kv = true, .kdim = 6, .vdim = 10});
  randomize(m, 3);
  const Var y = randn({2, 4, 16}, 1), mk = randn({2, 5, 6}, 2), mv = randn({2, 5, 10}, 3);
  const AttentionMask mask = AttentionMask::key_lengths(lengths({5, 3}));
  const auto full = m.forward(y, mk, mv, mask, {.need_weights = true});
  KeyValueCache cache;
  std::vector<Var> steps, weights;
  for (int64_t t = 0; t < 4; ++t) {
    const bool first = t == 0;  // later steps pass no memory at all: the cache has it
    const auto step = m.forward(narrow(y, 1, t, 1), first ? mk : Var(), first ? mv : Var(), mask,
                                {.need_weights = true, .cache = &cache, .static_kv = true});
    EXPECT_EQ(cache.length(), 5);
    steps.push_back(step.output);
    weights.push_back(step.weights);
  }
  EXPECT_TRUE(all_close(concat(steps, 1).value(), full.output.value(), 1e-6, 0.0));
  EXPECT_TRUE(all_close(concat(weights, 1).value(), full.weights.value(), 1e-6, 0.0));  // [2, 4, 5 + 1]
}

TEST(MultiHeadAttention, GroupedQueryEqualsStandardHeadsWithRepeatedKeyValueWeights) {
  const int64_t E = 16, H = 4, Hkv = 2, D = 4, G = H / Hkv;
  MultiHeadAttention gqa({.embed_dim = E, .num_heads = H, .num_kv_heads = Hkv});
  randomize(gqa, 9);
  const auto s = gqa.state_dict();
  // kv head j serves query heads j·G .. j·G + G − 1: repeat each block of D rows G times.
  auto repeat_heads = [&](const Tensor& w) {  // [Hkv·D, ...] -> [H·D, ...]
    Shape blocks{Hkv, 1, D}, wide{Hkv, G, D};
    for (int64_t i = 1; i < w.dim(); ++i) blocks.push_back(w.size(i)), wide.push_back(w.size(i));
    Shape out{H * D};
    for (int64_t i = 1; i < w.dim(); ++i) out.push_back(w.size(i));
    return w.reshape(blocks).expand(wide).contiguous().reshape(out);
  };
  const Tensor b = s.at("in_proj_bias");
  MultiHeadAttention mha({.embed_dim = E, .num_heads = H});
  mha.load_state_dict({{"in_proj_weight", concat({s.at("q_proj_weight"), repeat_heads(s.at("k_proj_weight")),
                                                  repeat_heads(s.at("v_proj_weight"))}, 0)},
                       {"in_proj_bias", concat({b.narrow(0, 0, E), repeat_heads(b.narrow(0, E, Hkv * D)),
                                                repeat_heads(b.narrow(0, E + Hkv * D, Hkv * D))}, 0)},
                       {"out_proj.weight", s.at("out_proj.weight")},
                       {"out_proj.bias", s.at("out_proj.bias")}});
  const Var x = randn({2, 5, E}, 1), mem = randn({2, 6, E}, 2);
  const AttentionMask mask = AttentionMask::key_lengths(lengths({6, 4}));
  const MultiHeadAttentionCall call{.need_weights = true, .average_weights = false};
  const auto a = gqa.forward(x, mem, mem, mask, call), e = mha.forward(x, mem, mem, mask, call);
  EXPECT_TRUE(all_close(a.output.value(), e.output.value(), 1e-6, 1e-5));
  EXPECT_TRUE(all_close(a.weights.value(), e.weights.value(), 1e-6, 1e-5));  // [2, 4, 5, 6]
  // Sanity: the weights differ between heads, so the head grouping is actually exercised.
  EXPECT_FALSE(all_close(select(a.weights, 1, 0).value(), select(a.weights, 1, 1).value(), 1e-3, 0.0));
}

TEST(MultiHeadAttention, FullyMaskedQueryGivesZeroWeightsAndNoNaN) {
  for (bool need_weights : {true, false}) {
    MultiHeadAttention m({.embed_dim = 8, .num_heads = 2});
    randomize(m, 4);
    const Var q = randn({2, 3, 8}, 1, true), k = randn({2, 4, 8}, 2, true), v = randn({2, 4, 8}, 3, true);
    const auto r = m.forward(q, k, v, AttentionMask::key_lengths(lengths({4, 0})), {.need_weights = need_weights});
    ASSERT_TRUE(all_finite(r.output.value()));
    // Item 1 reads nothing: context 0, so the output is out_proj.bias in every row.
    const Tensor bias_rows = m.state_dict().at("out_proj.bias").reshape({1, 8}).expand({3, 8}).contiguous();
    EXPECT_TRUE(all_close(select(r.output, 0, 1).value(), bias_rows, 1e-7, 0.0));
    Var loss = sum(mul(r.output, randn({2, 3, 8}, 5)));
    if (need_weights) {
      EXPECT_EQ(r.weights.shape(), (Shape{2, 3, 4}));
      EXPECT_TRUE(all_close(select(r.weights, 0, 1).value(), Tensor::zeros({3, 4}), 0.0, 0.0));
      loss = add(loss, sum(mul(r.weights, randn({2, 3, 4}, 6))));
    } else {
      EXPECT_FALSE(r.weights.defined());
    }
    loss.backward();
    for (const Var& x : {q, k, v}) {
      ASSERT_TRUE(all_finite(x.grad()));
      EXPECT_TRUE(all_close(x.grad().select(0, 1), Tensor::zeros({x.size(1), 8}), 0.0, 0.0));
      EXPECT_FALSE(all_close(x.grad().select(0, 0), Tensor::zeros({x.size(1), 8}), 1e-6, 0.0));
    }
    for (const auto& [name, p] : m.named_parameters()) EXPECT_TRUE(all_finite(p.grad())) << name;
  }
}

TEST(MultiHeadAttention, PaddedKeysNeverChangeTheResult) {
  MultiHeadAttention m({.embed_dim = 8, .num_heads = 2, .kdim = 6});
  randomize(m, 2);
  const Var q = randn({2, 3, 8}, 1), k = randn({2, 5, 6}, 2), v = randn({2, 5, 8}, 3);
  const AttentionMask mask = AttentionMask::key_lengths(lengths({5, 3}));
  const auto a = m.forward(q, k, v, mask, {.need_weights = true});
  // Replace item 1's padded keys and values (positions 3, 4) with other numbers.
  auto repad = [](const Var& x, uint64_t seed) {
    const Var noise = randn({1, 2, x.size(2)}, seed);
    return concat({narrow(x, 0, 0, 1), concat({narrow(narrow(x, 0, 1, 1), 1, 0, 3), mul(noise, 100.0)}, 1)}, 0);
  };
  const auto b = m.forward(q, repad(k, 8), repad(v, 9), mask, {.need_weights = true});
  EXPECT_TRUE(all_close(b.output.value(), a.output.value(), 0.0, 0.0));
  EXPECT_TRUE(all_close(narrow(select(a.weights, 0, 1), 1, 3, 2).value(), Tensor::zeros({3, 2}), 0.0, 0.0));
  // ... and item 1 equals a run on its 3 real keys alone.
  const auto c =
      m.forward(narrow(q, 0, 1, 1), narrow(narrow(k, 0, 1, 1), 1, 0, 3), narrow(narrow(v, 0, 1, 1), 1, 0, 3));
  EXPECT_TRUE(all_close(c.output.value(), narrow(a.output, 0, 1, 1).value(), 1e-6, 1e-5));
}

TEST(MultiHeadAttention, SelfAttentionWithoutPositionsIsPermutationEquivariant) {
  MultiHeadAttention m({.embed_dim = 12, .num_heads = 3});
  randomize(m, 5);
  const Var x = randn({2, 5, 12}, 1);
  const Tensor perm = Tensor::from_vector<int64_t>({3, 0, 4, 1, 2}, {5});
  const Var xp = index_select(x, 1, perm);  // [2, 5, 12]
  const MultiHeadAttentionCall call{.need_weights = true};
  const auto a = m.forward(x, x, x, {}, call), b = m.forward(xp, xp, xp, {}, call);
  EXPECT_TRUE(all_close(b.output.value(), index_select(a.output, 1, perm).value(), 1e-6, 1e-5));
  const Var wa = index_select(index_select(a.weights, 1, perm), 2, perm);  // weights[perm i][perm j]
  EXPECT_TRUE(all_close(b.weights.value(), wa.value(), 1e-6, 1e-5));
  // Rotary positions break the symmetry (so the check above is not vacuous for position-aware attention).
  MultiHeadAttention r({.embed_dim = 12, .num_heads = 3, .rotary = true});
  randomize(r, 5);
  EXPECT_FALSE(all_close(r.forward(xp, xp, xp).output.value(),
                         index_select(r.forward(x, x, x).output, 1, perm).value(), 1e-4, 0.0));
}

// One input for query, key and value takes the fused path (one GEMM with the packed in_proj_weight); three distinct
// inputs with the same values take three GEMMs. Both give the same output and gradients (x's gradient is the sum of
// the three).
TEST(MultiHeadAttention, FusedSelfProjectionMatchesSeparateProjections) {
  for (const bool rotary : {false, true}) {
    MultiHeadAttention m({.embed_dim = 12, .num_heads = 3, .rotary = rotary});
    randomize(m, 7);
    const Var x = randn({2, 5, 12}, 1, true);
    const Var upstream = randn({2, 5, 12}, 2);
    const auto fused = m.forward(x, x, x, AttentionMask::causal());
    sum(mul(fused.output, upstream)).backward();
    std::map<std::string, Tensor> fused_grads;
    for (const auto& [name, p] : m.named_parameters()) fused_grads[name] = p.grad().clone();
    m.zero_grad();
    const Var xq = Var(x.value().clone(), true), xk = Var(x.value().clone(), true), xv = Var(x.value().clone(), true);
    const auto separate = m.forward(xq, xk, xv, AttentionMask::causal());
    sum(mul(separate.output, upstream)).backward();
    EXPECT_TRUE(all_close(fused.output.value(), separate.output.value(), 1e-6, 1e-5)) << rotary;
    const Tensor dx = add(add(Var(xq.grad()), Var(xk.grad())), Var(xv.grad())).value();
    EXPECT_TRUE(all_close(x.grad(), dx, 1e-6, 1e-5)) << rotary;
    for (const auto& [name, p] : m.named_parameters()) {
      EXPECT_TRUE(all_close(fused_grads[name], p.grad(), 1e-6, 1e-5)) << name << " rotary " << rotary;
    }
  }
}

TEST(MultiHeadAttention, WeightsPerHeadAveragedAndOverAppendedKeys) {
  MultiHeadAttention m({.embed_dim = 8, .num_heads = 2, .add_bias_kv = true, .add_zero_attn = true});
  randomize(m, 6);
  const Var q = randn({2, 3, 8}, 1), kv = randn({2, 4, 8}, 2);
  const AttentionMask mask = AttentionMask::key_lengths(lengths({4, 0}));
  const auto per = m.forward(q, kv, kv, mask, {.need_weights = true, .average_weights = false});
  const auto avg = m.forward(q, kv, kv, mask, {.need_weights = true});
  EXPECT_EQ(per.weights.shape(), (Shape{2, 2, 3, 6}));  // 4 keys + bias_k + zero key
  EXPECT_EQ(avg.weights.shape(), (Shape{2, 3, 6}));
  EXPECT_TRUE(all_close(avg.weights.value(), mean(per.weights, {1}).value(), 1e-7, 0.0));
  EXPECT_TRUE(all_close(sum(avg.weights, {-1}).value(), Tensor::ones({2, 3}), 1e-6, 0.0));
  // Item 1 has no real key left: all its weight is on the two appended keys, which every query keeps.
  EXPECT_TRUE(all_close(sum(narrow(select(avg.weights, 0, 1), 1, 4, 2), {-1}).value(), Tensor::ones({3}), 1e-6, 0.0));
  EXPECT_FALSE(m.forward(q, kv, kv, mask).weights.defined());
}

TEST(MultiHeadAttention, TimeFirstLayoutMatchesBatchFirst) {
  MultiHeadAttention bf({.embed_dim = 8, .num_heads = 2, .vdim = 4});
  MultiHeadAttention tf({.embed_dim = 8, .num_heads = 2, .vdim = 4, .batch_first = false});
  randomize(bf, 1);
  tf.load_state_dict(bf.state_dict());
  const Var q = randn({2, 3, 8}, 1), k = randn({2, 5, 8}, 2), v = randn({2, 5, 4}, 3);
  const AttentionMask mask = AttentionMask::key_lengths(lengths({5, 2})) & AttentionMask::causal(2);
  const auto a = bf.forward(q, k, v, mask, {.need_weights = true});
  const auto b = tf.forward(transpose(q, 0, 1), transpose(k, 0, 1), transpose(v, 0, 1), mask, {.need_weights = true});
  EXPECT_TRUE(all_close(transpose(b.output, 0, 1).value(), a.output.value(), 1e-6, 1e-5));  // [3, 2, 8] -> [2, 3, 8]
  EXPECT_TRUE(all_close(b.weights.value(), a.weights.value(), 1e-7, 0.0));                  // batch-first either way
}

TEST(MultiHeadAttention, DropoutActsOnlyInTrainingAndWeightsAreReturnedBeforeIt) {
  auto make = [] {
    auto m = std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{.embed_dim = 8, .num_heads = 2,
                                                                            .dropout = 0.5, .seed = 3});
    randomize(*m, 2);
    return m;
  };
  auto m = make(), twin = make();
  const Var x = randn({2, 4, 8}, 1);
  const auto train = m->forward(x, x, x, {}, {.need_weights = true});
  EXPECT_TRUE(all_close(twin->forward(x, x, x, {}, {.need_weights = true}).output.value(), train.output.value(), 0.0,
                        0.0));  // the same seed draws the same mask
  EXPECT_FALSE(all_close(m->forward(x, x, x).output.value(), train.output.value(), 1e-4, 0.0));  // a new mask
  m->eval();
  const auto eval = m->forward(x, x, x, {}, {.need_weights = true});
  EXPECT_FALSE(all_close(eval.output.value(), train.output.value(), 1e-4, 0.0));
  EXPECT_TRUE(all_close(eval.output.value(), m->forward(x, x, x).output.value(), 0.0, 0.0));
  EXPECT_TRUE(all_close(train.weights.value(), eval.weights.value(), 1e-7, 0.0));  // pre-dropout weights
}

// precision bf16: the attention core's products in bf16 stay within bf16's rounding of the f32 module's output and,
// trained, of its parameters' gradients; appending keys is refused before the call.
TEST(MultiHeadAttention, Bf16PrecisionForInferenceAndTraining) {
  MultiHeadAttention f32({.embed_dim = 32, .num_heads = 4, .seed = 3});
  MultiHeadAttention b16({.embed_dim = 32, .num_heads = 4, .seed = 3, .precision = AttentionPrecision::bf16});
  f32.eval();
  b16.eval();
  const Var x = randn({2, 9, 32}, 4);
  {
    NoGradGuard no_grad;
    const Tensor a = f32.forward(x, x, x).output.value(), b = b16.forward(x, x, x).output.value();
    double diff = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i)
      diff = std::max<double>(diff, std::abs(a.data<float>()[i] - b.data<float>()[i]));
    EXPECT_GT(diff, 1e-6);
    EXPECT_LT(diff, 0.02);
  }
  const Var up = randn({2, 9, 32}, 5);
  sum(mul(f32.forward(x, x, x).output, up)).backward();
  sum(mul(b16.forward(x, x, x).output, up)).backward();
  const auto fp = f32.named_parameters(), bp = b16.named_parameters();
  ASSERT_EQ(fp.size(), bp.size());
  for (size_t i = 0; i < fp.size(); ++i) {
    const Tensor a = fp[i].second.grad(), b = bp[i].second.grad();
    double diff = 0.0, size = 0.0;
    for (int64_t e = 0; e < a.numel(); ++e) {
      diff = std::max<double>(diff, std::abs(a.data<float>()[e] - b.data<float>()[e]));
      size = std::max<double>(size, std::abs(a.data<float>()[e]));
    }
    if (fp[i].first != "out_proj.bias") {  // Σ up: no attention in it
      EXPECT_GT(diff, 1e-7 * size) << fp[i].first;
    }
    EXPECT_LT(diff, 0.03 * size) << fp[i].first;
  }
  MultiHeadAttention kv({.embed_dim = 32, .num_heads = 4, .add_bias_kv = true, .precision = AttentionPrecision::bf16});
  NoGradGuard no_grad;
  EXPECT_THAT(error_of([&] { kv.forward(x, x, x); }), HasSubstr("bf16 attention runs the fused op, which takes no "
                                                                "appended keys (add_bias_kv, add_zero_attn)"));
}

}  // namespace
}  // namespace attend::nn
