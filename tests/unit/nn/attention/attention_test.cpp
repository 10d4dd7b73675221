// attention() and scaled_dot_product_attention(): fully masked rows (every scorer), properties over random masks,
// padding invariance, permutation equivariance, grouped-query heads, and the error messages.
#include "attend/nn/attention/attention.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "attend/nn/attention/dot_score.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"
#include "attend/tensor/indexing.hpp"
#include "attend/tensor/linalg.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor randn(const Shape& shape, uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  return Tensor::randn(shape, rng, DType::f64, 0.0, scale);
}
Tensor i64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}

bool finite_or_absent(const Tensor& t) {
  if (!t.defined()) return true;
  for (double x : t.to_vector<double>()) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}
bool all_zero(const Tensor& t) {
  if (!t.defined()) return true;  // no gradient arrived: zero
  for (double x : t.to_vector<double>()) {
    if (x != 0.0) return false;
  }
  return true;
}

// Every scorer kind (mlp with both activations), f64, queries of width dq and keys of width dk (dot kinds: dq).
std::vector<std::shared_ptr<Scorer>> every_scorer(int64_t dq, int64_t dk, uint64_t seed = 1) {
  std::vector<std::shared_ptr<Scorer>> out;
  for (ScoreKind kind : {ScoreKind::dot, ScoreKind::scaled_dot, ScoreKind::general, ScoreKind::additive,
                         ScoreKind::mlp, ScoreKind::mlp}) {
    ScorerOptions o;
    o.kind = kind;
    o.dim_query = dq;
    o.dim_key = kind == ScoreKind::dot || kind == ScoreKind::scaled_dot ? dq : dk;
    o.hidden = 3;
    o.seed = seed;
    if (kind == ScoreKind::mlp && !out.empty() && out.back()->kind_name() == "mlp") {
      o.activation = ScoreActivation::relu;  // the second mlp
    }
    out.push_back(make_scorer(o));
    out.back()->to(DType::f64);
  }
  return out;
}

struct AttnRun {
  AttentionOutput out;
  Var q, k, v;
};

// attention() on leaves made from q, k, v, then backward of Σ context ⊙ cc + Σ weights ⊙ cw.
AttnRun run_attention(const Scorer& s, const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask,
                  uint64_t seed = 5) {
  AttnRun r{{}, Var(q.clone(), true), Var(k.clone(), true), Var(v.clone(), true)};
  r.out = attention(r.q, r.k, r.v, mask, s);
  const Var loss = add(sum(mul(r.out.context, Var(randn(r.out.context.shape(), seed)))),
                       sum(mul(r.out.weights, Var(randn(r.out.weights.shape(), seed + 1)))));
  loss.backward();
  return r;
}

TEST(Attention, FullyMaskedRowGivesZerosNotNaNForEveryScorer) {
  for (const auto& s : every_scorer(4, 5)) {
    SCOPED_TRACE(s->kind_name());
    const Tensor q = randn({2, 3, 4}, 1), k = randn({2, 6, s->dim_key()}, 2), v = randn({2, 6, 3}, 3);
    // Item 1: no key at all; item 0, query 0: causal(-1) leaves it none either.
    const AttentionMask mask = AttentionMask::key_lengths(i64({6, 0})) & AttentionMask::causal(-1);
    const AttnRun r = run_attention(*s, q, k, v, mask);
    for (const Tensor& t : {r.out.weights.value(), r.out.context.value(), r.q.grad(), r.k.grad(), r.v.grad()}) {
      EXPECT_TRUE(finite_or_absent(t));
    }
    EXPECT_TRUE(all_zero(r.out.weights.value().select(0, 1)));
    EXPECT_TRUE(all_zero(r.out.context.value().select(0, 1)));
    EXPECT_TRUE(all_zero(r.out.weights.value().select(0, 0).select(0, 0)));
    EXPECT_TRUE(all_zero(r.out.context.value().select(0, 0).select(0, 0)));
    EXPECT_TRUE(all_zero(r.q.grad().select(0, 1)));
    EXPECT_TRUE(all_zero(r.q.grad().select(0, 0).select(0, 0)));
    EXPECT_TRUE(all_zero(r.k.grad().select(0, 1)));
    EXPECT_TRUE(all_zero(r.v.grad().select(0, 1)));
    for (const Var& p : s->parameters()) EXPECT_TRUE(finite_or_absent(p.grad()));
    // A batch of only fully masked rows: the scorer's parameters get gradient 0 as well.
    s->zero_grad();
    const AttnRun none = run_attention(*s, q.narrow(0, 1, 1), k.narrow(0, 1, 1), v.narrow(0, 1, 1),
                                   AttentionMask::key_lengths(i64({0})));
    EXPECT_TRUE(all_zero(none.out.context.value()));
    EXPECT_TRUE(all_zero(none.q.grad()) && all_zero(none.k.grad()) && all_zero(none.v.grad()));
    for (const auto& [name, p] : s->named_parameters()) EXPECT_TRUE(all_zero(p.grad())) << name;
  }
}

// A random mask over scores [B, Tq, Tk] built from random parts; some rows end up with no key.
AttentionMask random_mask(Rng& rng, int64_t B, int64_t Tq, int64_t Tk) {
  AttentionMask m;
  auto coin = [&] { return rng.next_below(2) == 1; };
  if (coin()) {
    std::vector<int64_t> len;
    for (int64_t b = 0; b < B; ++b) len.push_back(static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(Tk + 1))));
    m = m & AttentionMask::key_lengths(i64(len));
  }
  if (coin()) m = m & AttentionMask::causal(static_cast<int64_t>(rng.next_below(5)) - 2);
  if (coin()) {
    std::vector<uint8_t> bits;
    for (int64_t i = 0; i < B * Tk; ++i) bits.push_back(static_cast<uint8_t>(rng.next_below(4) == 0));
    m = m & AttentionMask::drop_keys(Tensor::from_vector(bits, {B, Tk}));
  }
  if (coin()) {
    std::vector<uint8_t> bits;
    for (int64_t i = 0; i < Tq * Tk; ++i) bits.push_back(static_cast<uint8_t>(rng.next_below(4) != 0));
    m = m & AttentionMask::keep(Tensor::from_vector(bits, {Tq, Tk}));
  }
  if (coin()) {
    Tensor bias = randn({B, 1, Tk}, rng.next_below(1000));
    if (coin()) bias.data<double>()[0] = -kInf;
    m = m & AttentionMask::bias(Var(bias));
  }
  return m;
}

TEST(Attention, RandomMasksNeverGiveNaNAndWeightsFollowTheMask) {
  Rng rng(2024);
  for (int draw = 0; draw < 50; ++draw) {
    SCOPED_TRACE("draw " + std::to_string(draw));
    const auto B = static_cast<int64_t>(rng.next_below(3) + 1), Tq = static_cast<int64_t>(rng.next_below(4) + 1),
               Tk = static_cast<int64_t>(rng.next_below(5) + 1);
    const AttentionMask mask = random_mask(rng, B, Tq, Tk);
    const auto scorers = every_scorer(3, 3, static_cast<uint64_t>(draw));
    const Scorer& s = *scorers[static_cast<size_t>(draw) % scorers.size()];
    const AttnRun r = run_attention(s, randn({B, Tq, 3}, rng.next_below(1000)), randn({B, Tk, 3}, rng.next_below(1000)),
                                randn({B, Tk, 2}, rng.next_below(1000)), mask);
    for (const Tensor& t : {r.out.weights.value(), r.out.context.value(), r.q.grad(), r.k.grad(), r.v.grad()}) {
      ASSERT_TRUE(finite_or_absent(t));
    }
    for (const Var& p : s.parameters()) ASSERT_TRUE(finite_or_absent(p.grad()));
    // Masked keys get weight exactly 0; each row sums to 1, or to 0 when every key of the row is masked.
    const std::vector<uint8_t> keep = mask.keep_tensor({B, Tq, Tk}).to_vector<uint8_t>();
    const std::vector<double> w = r.out.weights.value().to_vector<double>();
    for (int64_t row = 0; row < B * Tq; ++row) {
      double total = 0.0;
      for (int64_t j = 0; j < Tk; ++j) {
        const auto i = static_cast<size_t>(row * Tk + j);
        if (keep[i] == 0) {
          ASSERT_EQ(w[i], 0.0);
        }
        total += w[i];
      }
      ASSERT_TRUE(std::abs(total - 1.0) < 1e-12 || total == 0.0) << "row " << row << " sums to " << total;
    }
  }
}

TEST(Attention, PaddedKeysNeverChangeTheResult) {
  const std::vector<int64_t> lengths{2, 5, 3};
  const int64_t B = 3, Tq = 2, Tk = 5, Dq = 4, Dk = 4, Dv = 3;
  const Tensor q = randn({B, Tq, Dq}, 1);
  const Tensor k = randn({B, Tk, Dk}, 2), v = randn({B, Tk, Dv}, 3);
  for (int64_t b = 0; b < B; ++b) {  // the padding holds large garbage
    const int64_t pad = Tk - lengths[static_cast<size_t>(b)];
    if (pad == 0) continue;
    k.select(0, b).narrow(0, Tk - pad, pad).copy_(randn({pad, Dk}, 10 + static_cast<uint64_t>(b), 100.0));
    v.select(0, b).narrow(0, Tk - pad, pad).copy_(randn({pad, Dv}, 20 + static_cast<uint64_t>(b), 100.0));
  }
  const Tensor cc = randn({B, Tq, Dv}, 7);
  for (const auto& s : every_scorer(Dq, Dk)) {
    SCOPED_TRACE(s->kind_name());
    s->zero_grad();
    const Var qb(q.clone(), true), kb(k.clone(), true), vb(v.clone(), true);
    const AttentionOutput padded = attention(qb, kb, vb, AttentionMask::key_lengths(i64(lengths)), *s);
    sum(mul(padded.context, Var(cc))).backward();
    std::vector<Tensor> batched_param_grads;
    for (const Var& p : s->parameters()) batched_param_grads.push_back(p.grad().clone());
    s->zero_grad();
    for (int64_t b = 0; b < B; ++b) {  // each item alone, unpadded, no mask; parameter gradients accumulate
      const int64_t L = lengths[static_cast<size_t>(b)];
      const Var qi(q.narrow(0, b, 1).clone(), true), ki(k.narrow(0, b, 1).narrow(1, 0, L).clone(), true),
          vi(v.narrow(0, b, 1).narrow(1, 0, L).clone(), true);
      const AttentionOutput alone = attention(qi, ki, vi, AttentionMask(), *s);
      sum(mul(alone.context, Var(cc.narrow(0, b, 1)))).backward();
      EXPECT_TRUE(all_close(padded.context.value().narrow(0, b, 1), alone.context.value(), 1e-12, 1e-10));
      EXPECT_TRUE(all_close(padded.weights.value().narrow(0, b, 1).narrow(2, 0, L), alone.weights.value(), 1e-12));
      EXPECT_TRUE(all_zero(padded.weights.value().narrow(0, b, 1).narrow(2, L, Tk - L)));
      EXPECT_TRUE(all_close(qb.grad().narrow(0, b, 1), qi.grad(), 1e-12, 1e-10));
      EXPECT_TRUE(all_close(kb.grad().narrow(0, b, 1).narrow(1, 0, L), ki.grad(), 1e-12, 1e-10));
      EXPECT_TRUE(all_close(vb.grad().narrow(0, b, 1).narrow(1, 0, L), vi.grad(), 1e-12, 1e-10));
      EXPECT_TRUE(all_zero(kb.grad().narrow(0, b, 1).narrow(1, L, Tk - L)));
      EXPECT_TRUE(all_zero(vb.grad().narrow(0, b, 1).narrow(1, L, Tk - L)));
    }
    const auto params = s->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(all_close(batched_param_grads[i], params[i].grad(), 1e-10, 1e-9)) << "parameter " << i;
    }
  }
}

TEST(Attention, SelfAttentionWithoutPositionsIsPermutationEquivariant) {
  const int64_t T = 5;
  const std::vector<int64_t> perm{3, 0, 4, 1, 2};
  const Tensor x = randn({1, T, 4}, 9);
  const Tensor px = index_select(x, 1, i64(perm));  // row i of px is row perm[i] of x
  for (const auto& s : every_scorer(4, 4)) {
    SCOPED_TRACE(s->kind_name());
    const AttentionOutput a = attention(Var(x), Var(x), Var(x), AttentionMask(), *s);
    const AttentionOutput b = attention(Var(px), Var(px), Var(px), AttentionMask(), *s);
    EXPECT_TRUE(all_close(b.context.value(), index_select(a.context.value(), 1, i64(perm)), 1e-12, 1e-10));
    // weights: W'[i, j] = W[perm[i], perm[j]]
    const Tensor w = index_select(index_select(a.weights.value(), 1, i64(perm)), 2, i64(perm));
    EXPECT_TRUE(all_close(b.weights.value(), w, 1e-12, 1e-10));
  }
}

TEST(Attention, PreparedKeysGiveTheSameResult) {
  const Tensor q = randn({2, 3, 4}, 1), k = randn({2, 5, 6}, 2), v = randn({2, 5, 2}, 3);
  const AttentionMask mask = AttentionMask::key_lengths(i64({5, 2}));
  for (const auto& s : every_scorer(4, 6)) {
    if (s->dim_key() != 6) continue;  // dot kinds need equal widths
    const AttentionOutput a = attention(Var(q), Var(k), Var(v), mask, *s);
    const AttentionOutput b = attention(Var(q), s->prepare(Var(k)), Var(v), mask, *s);
    EXPECT_TRUE(all_close(a.context.value(), b.context.value(), 0, 0)) << s->kind_name();
  }
}

// The same attention with every key/value head repeated for the query heads that read it.
TEST(ScaledDotProductAttention, GroupedQueryHeadsEqualRepeatedKeyValueHeads) {
  const int64_t B = 2, H = 4, Hkv = 2, Tq = 3, Tk = 4, D = 5, Dv = 6;
  const Tensor q = randn({B, H, Tq, D}, 1), k = randn({B, Hkv, Tk, D}, 2), v = randn({B, Hkv, Tk, Dv}, 3);
  const Tensor heads = i64({0, 0, 1, 1});  // query head h reads key/value head h / (H / Hkv)
  const Tensor cot = randn({B, H, Tq, Dv}, 4);
  const AttentionMask mask = AttentionMask::key_lengths(i64({4, 2})) & AttentionMask::causal(1);
  auto run = [&](bool grouped, Tensor& gq, Tensor& gk, Tensor& gv) {
    const Var vq(q.clone(), true), vk(k.clone(), true), vv(v.clone(), true);
    const Var k_in = grouped ? vk : index_select(vk, 1, heads), v_in = grouped ? vv : index_select(vv, 1, heads);
    const AttentionOutput o = scaled_dot_product_attention(
        vq, k_in, v_in, mask, {.scale = std::nullopt, .dropout = 0.0, .training = false, .rng = nullptr,
                               .need_weights = true});
    sum(mul(o.context, Var(cot))).backward();
    gq = vq.grad(), gk = vk.grad(), gv = vv.grad();
    return o;
  };
  Tensor gq1, gk1, gv1, gq2, gk2, gv2;
  const AttentionOutput grouped = run(true, gq1, gk1, gv1), repeated = run(false, gq2, gk2, gv2);
  EXPECT_EQ(grouped.context.shape(), (Shape{B, H, Tq, Dv}));
  EXPECT_TRUE(all_close(grouped.context.value(), repeated.context.value(), 1e-12, 1e-10));
  EXPECT_TRUE(all_close(grouped.weights.value(), repeated.weights.value(), 1e-12, 1e-10));
  EXPECT_TRUE(all_close(gq1, gq2, 1e-12, 1e-10));
  EXPECT_TRUE(all_close(gk1, gk2, 1e-12, 1e-10));
  EXPECT_TRUE(all_close(gv1, gv2, 1e-12, 1e-10));
}

TEST(ScaledDotProductAttention, EqualsTheFormulaAndHonoursScaleAndDropout) {
  const Tensor q = randn({1, 2, 3, 4}, 1), k = randn({1, 2, 5, 4}, 2), v = randn({1, 2, 5, 3}, 3);
  const Var scores(matmul(q, k.transpose(2, 3)));
  ScaledDotProductOptions o{.scale = std::nullopt, .dropout = 0.0, .training = false, .rng = nullptr,
                            .need_weights = true};
  const AttentionOutput plain = scaled_dot_product_attention(Var(q), Var(k), Var(v), AttentionMask(), o);
  const Var w = softmax(mul(scores, 0.5), -1);  // 1/√4
  EXPECT_TRUE(all_close(plain.weights.value(), w.value(), 1e-12));
  EXPECT_TRUE(all_close(plain.context.value(), matmul(w, Var(v)).value(), 1e-12));
  o.scale = 1.0;
  EXPECT_TRUE(all_close(scaled_dot_product_attention(Var(q), Var(k), Var(v), AttentionMask(), o).weights.value(),
                        softmax(scores, -1).value(), 1e-12));
  // Dropout applies only while training, and never to the returned weights.
  o.dropout = 0.5;
  const AttentionOutput eval = scaled_dot_product_attention(Var(q), Var(k), Var(v), AttentionMask(), o);
  EXPECT_TRUE(all_close(eval.context.value(), matmul(softmax(scores, -1), Var(v)).value(), 1e-12));
  Rng rng(3);
  o.training = true;
  o.rng = &rng;
  const AttentionOutput train = scaled_dot_product_attention(Var(q), Var(k), Var(v), AttentionMask(), o);
  EXPECT_TRUE(all_close(train.weights.value(), eval.weights.value(), 0, 0));
  EXPECT_FALSE(all_close(train.context.value(), eval.context.value(), 1e-6));
  o.need_weights = false;
  EXPECT_FALSE(scaled_dot_product_attention(Var(q), Var(k), Var(v), AttentionMask(), o).weights.defined());
}

TEST(Attention, ErrorsNameTheArgumentAndBothShapes) {
  const DotScore dot({.dim = 4, .scaled = false, .scale = std::nullopt});
  const Var q(randn({2, 3, 4}, 1)), k(randn({2, 5, 4}, 2)), v(randn({2, 5, 6}, 3));
  const AttentionMask none;
  EXPECT_THAT(error_of([&] { attention(Var(randn({3, 4}, 1)), k, v, none, dot); }),
              HasSubstr("attention: query must be [B, Tq, Dq], got shape [3, 4]"));
  EXPECT_THAT(error_of([&] { attention(q, Var(randn({5, 4}, 1)), v, none, dot); }),
              HasSubstr("attention: keys must be [B, Tk, Dk], got shape [5, 4]"));
  EXPECT_THAT(error_of([&] { attention(q, k, Var(randn({2, 5}, 1)), none, dot); }),
              HasSubstr("attention: values must be [B, Tk, Dv], got shape [2, 5]"));
  EXPECT_THAT(error_of([&] { attention(q, k, Var(randn({2, 4, 6}, 1)), none, dot); }),
              HasSubstr("attention: values must have the keys' batch and length (expected [2, 5, Dv]); values shape "
                        "[2, 4, 6], keys shape [2, 5, 4]"));
  EXPECT_THAT(error_of([&] { attention(Var(randn({1, 3, 4}, 1)), k, v, none, dot); }),
              HasSubstr("DotScore: query and keys must have the same batch (got 1 and 2)"));
  EXPECT_THAT(error_of([&] { attention(q, k, v, AttentionMask::key_lengths(i64({5, 6})), dot); }),
              HasSubstr("key_lengths[1] = 6 is outside [0, 5] (Tk)"));
}

TEST(ScaledDotProductAttention, ErrorsNameTheArgumentAndBothShapes) {
  const Var q(randn({2, 4, 3, 5}, 1)), k(randn({2, 2, 6, 5}, 2)), v(randn({2, 2, 6, 7}, 3));
  const ScaledDotProductOptions o{.scale = std::nullopt, .dropout = 0.0, .training = false, .rng = nullptr,
                                  .need_weights = false};
  const AttentionMask none;
  const char* op = "scaled_dot_product_attention: ";
  EXPECT_THAT(error_of([&] { scaled_dot_product_attention(Var(randn({2, 3, 5}, 1)), k, v, none, o); }),
              HasSubstr(std::string(op) + "q must be [B, H, Tq, D], got shape [2, 3, 5]"));
  EXPECT_THAT(error_of([&] { scaled_dot_product_attention(q, Var(randn({2, 2, 6, 4}, 1)), v, none, o); }),
              HasSubstr("k must be [B=2, Hkv, Tk, D=5]; k shape [2, 2, 6, 4], q shape [2, 4, 3, 5]"));
  EXPECT_THAT(error_of([&] { scaled_dot_product_attention(q, k, Var(randn({2, 2, 5, 7}, 1)), none, o); }),
              HasSubstr("v must be [B=2, Hkv=2, Tk=6, Dv]; v shape [2, 2, 5, 7], k shape [2, 2, 6, 5]"));
  EXPECT_THAT(error_of([&] {
                scaled_dot_product_attention(q, Var(randn({2, 3, 6, 5}, 1)), Var(randn({2, 3, 6, 7}, 1)), none, o);
              }),
              HasSubstr("the key/value heads (3) must divide the query heads (4); q shape [2, 4, 3, 5], k shape "
                        "[2, 3, 6, 5]"));
  ScaledDotProductOptions bad = o;
  bad.dropout = 1.0;
  EXPECT_THAT(error_of([&] { scaled_dot_product_attention(q, k, v, none, bad); }),
              HasSubstr("dropout must be in [0, 1), got 1"));
  bad.dropout = 0.1;
  bad.training = true;
  EXPECT_THAT(error_of([&] { scaled_dot_product_attention(q, k, v, none, bad); }),
              HasSubstr("dropout 0.1 while training needs an Rng"));
}

}  // namespace
}  // namespace attend::nn
