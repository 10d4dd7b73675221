// The scorers: parameter names and shapes, make_scorer and the kind names, the prepared-keys path against a direct
// pair-by-pair reference (values and gradients), initialisation, and every error.
#include "attend/nn/attention/scorer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/nn/attention/additive_score.hpp"
#include "attend/nn/attention/dot_score.hpp"
#include "attend/nn/attention/general_score.hpp"
#include "attend/nn/attention/mlp_score.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/elementwise.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

Var randn_var(const Shape& shape, uint64_t seed, bool grad = false) {
  Rng rng(seed);
  return Var(Tensor::randn(shape, rng, DType::f64), grad);
}

std::vector<std::pair<std::string, Shape>> names_and_shapes(const Module& m) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& [name, p] : m.named_parameters()) out.emplace_back(name, p.shape());
  return out;
}

using NameShapes = std::vector<std::pair<std::string, Shape>>;

TEST(Scorers, ParameterNamesAndShapesFollowOpenNMT) {
  EXPECT_TRUE(DotScore({.dim = 4, .scaled = false, .scale = std::nullopt}).named_parameters().empty());
  EXPECT_EQ(names_and_shapes(GeneralScore({.dim_query = 3, .dim_key = 5, .seed = 0})),
            (NameShapes{{"linear_in.weight", {5, 3}}}));
  EXPECT_EQ(names_and_shapes(GeneralScore({.dim_query = 3, .dim_key = 0, .seed = 0})),
            (NameShapes{{"linear_in.weight", {3, 3}}}));
  const auto additive = names_and_shapes(AdditiveScore({.dim_query = 3, .dim_key = 5, .hidden = 7, .seed = 0}));
  EXPECT_THAT(additive, ::testing::UnorderedElementsAre(
                            std::pair<std::string, Shape>{"linear_query.weight", {7, 3}},
                            std::pair<std::string, Shape>{"linear_query.bias", {7}},
                            std::pair<std::string, Shape>{"linear_context.weight", {7, 5}},
                            std::pair<std::string, Shape>{"v.weight", {1, 7}}));
  // hidden 0: dim_key, as OpenNMT-py.
  EXPECT_EQ(AdditiveScore({.dim_query = 3, .dim_key = 5, .hidden = 0, .seed = 0}).hidden(), 5);
  const auto mlp = names_and_shapes(
      MlpScore({.dim_query = 3, .dim_key = 5, .hidden = 4, .activation = ScoreActivation::relu, .seed = 0}));
  EXPECT_EQ(mlp, (NameShapes{{"fc1.weight", {4, 8}}, {"fc1.bias", {4}}, {"fc2.weight", {1, 4}}, {"fc2.bias", {1}}}));
}

TEST(Scorers, MakeScorerAndKindNames) {
  ScorerOptions o;
  o.dim_query = 6;
  o.hidden = 3;
  for (ScoreKind kind : {ScoreKind::dot, ScoreKind::scaled_dot, ScoreKind::general, ScoreKind::additive,
                         ScoreKind::mlp}) {
    o.kind = kind;
    const auto s = make_scorer(o);
    EXPECT_EQ(s->kind_name(), score_kind_name(kind));
    EXPECT_EQ(parse_score_kind(s->kind_name()), kind);
    EXPECT_EQ(s->dim_query(), 6);
    EXPECT_EQ(s->dim_key(), 6);  // dim_key 0: dim_query
  }
  EXPECT_EQ(parse_score_kind("bahdanau"), ScoreKind::additive);
  o.kind = ScoreKind::scaled_dot;
  o.scale = 0.25;
  EXPECT_DOUBLE_EQ(dynamic_cast<const DotScore&>(*make_scorer(o)).scale(), 0.25);
  o.scale.reset();
  EXPECT_DOUBLE_EQ(dynamic_cast<const DotScore&>(*make_scorer(o)).scale(), 1.0 / std::sqrt(6.0));
  o.kind = ScoreKind::additive;
  o.dim_key = 4;
  EXPECT_EQ(dynamic_cast<const AdditiveScore&>(*make_scorer(o)).hidden(), 3);
}

TEST(Scorers, MakeScorerErrorsNameTheOption) {
  ScorerOptions o;
  o.dim_query = 4;
  o.dim_key = 5;
  EXPECT_THAT(error_of([&] { make_scorer(o); }),
              HasSubstr("make_scorer: dot needs dim_key == dim_query (got 5 and 4)"));
  o.dim_key = 0;
  o.scale = 2.0;
  EXPECT_THAT(error_of([&] { make_scorer(o); }), HasSubstr("scale 2 is only used by scaled_dot"));
  o.scale.reset();
  o.kind = ScoreKind::mlp;  // hidden is required
  EXPECT_THAT(error_of([&] { make_scorer(o); }), HasSubstr("MlpScore: hidden must be positive, got 0"));
  EXPECT_THAT(error_of([] { parse_score_kind("luong"); }),
              HasSubstr("unknown score kind 'luong' (expected dot, scaled_dot, general, additive (or bahdanau), mlp)"));
  EXPECT_THAT(error_of([] { DotScore({.dim = 0, .scaled = false, .scale = std::nullopt}); }),
              HasSubstr("DotScore: dim must be positive, got 0"));
  EXPECT_THAT(error_of([] { DotScore({.dim = 2, .scaled = true, .scale = INFINITY}); }),
              HasSubstr("DotScore: scale must be finite"));
  EXPECT_THAT(error_of([] { GeneralScore({.dim_query = -1, .dim_key = 0, .seed = 0}); }),
              HasSubstr("GeneralScore: dim_query must be positive, got -1"));
  EXPECT_THAT(error_of([] { AdditiveScore({.dim_query = 2, .dim_key = 2, .hidden = -3, .seed = 0}); }),
              HasSubstr("AdditiveScore: hidden must be positive, got -3"));
}

// Pair-by-pair references: build [B, Tq, Tk, ·] explicitly and apply the formula of each scorer.
struct Pairs {
  Var q, k;  // [B, Tq, Tk, Dq], [B, Tq, Tk, Dk]
};
Pairs pairs(const Var& q, const Var& k) {
  const int64_t B = q.size(0), Tq = q.size(1), Tk = k.size(1);
  return {expand(unsqueeze(q, 2), {B, Tq, Tk, q.size(2)}),   // [B, Tq, Tk, Dq]
          expand(unsqueeze(k, 1), {B, Tq, Tk, k.size(2)})};  // [B, Tq, Tk, Dk]
}

Var param(const Module& m, const std::string& name) {
  for (const auto& [n, p] : m.named_parameters()) {
    if (n == name) return p;
  }
  throw Error("no parameter " + name);
}

Var additive_reference(const AdditiveScore& s, const Var& q, const Var& k) {
  const Pairs p = pairs(q, k);
  const Var h = tanh(add(linear(p.q, param(s, "linear_query.weight"), param(s, "linear_query.bias")),
                         linear(p.k, param(s, "linear_context.weight"))));
  return squeeze(linear(h, param(s, "v.weight")), 3);  // [B, Tq, Tk]
}

Var mlp_reference(const MlpScore& s, const Var& q, const Var& k, bool relu_act) {
  const Pairs p = pairs(q, k);
  const Var pre = linear(concat({p.q, p.k}, 3), param(s, "fc1.weight"), param(s, "fc1.bias"));  // [B, Tq, Tk, h]
  return squeeze(linear(relu_act ? relu(pre) : tanh(pre), param(s, "fc2.weight"), param(s, "fc2.bias")), 3);
}

void expect_same_values_and_gradients(const Module& m, const std::function<Var(const Var&, const Var&)>& got,
                                      const std::function<Var(const Var&, const Var&)>& want) {
  const Var q = randn_var({2, 3, 5}, 1, true), k = randn_var({2, 4, 6}, 2, true);
  const Var cot = randn_var({2, 3, 4}, 3);
  const Var a = got(q, k), b = want(q, k);
  ASSERT_TRUE(all_close(a.value(), b.value(), 1e-12, 1e-10));
  auto grads = [&](const Var& out) {
    const_cast<Module&>(m).zero_grad();
    q.zero_grad();
    k.zero_grad();
    sum(mul(out, cot)).backward();
    std::vector<Tensor> g{q.grad().clone(), k.grad().clone()};
    for (const Var& p : m.parameters()) g.push_back(p.grad().clone());
    return g;
  };
  const auto ga = grads(a), gb = grads(b);
  ASSERT_EQ(ga.size(), gb.size());
  for (size_t i = 0; i < ga.size(); ++i) EXPECT_TRUE(all_close(ga[i], gb[i], 1e-12, 1e-10)) << "gradient " << i;
}

TEST(Scorers, AdditivePreparedKeysEqualThePairByPairFormula) {
  AdditiveScore s({.dim_query = 5, .dim_key = 6, .hidden = 7, .seed = 3});
  s.to(DType::f64);
  expect_same_values_and_gradients(
      s, [&](const Var& q, const Var& k) { return s.score_prepared(q, s.prepare(k)); },
      [&](const Var& q, const Var& k) { return additive_reference(s, q, k); });
  // Keys handed over unprepared are prepared on the fly.
  const Var q = randn_var({2, 3, 5}, 4), k = randn_var({2, 4, 6}, 5);
  EXPECT_TRUE(all_close(s.score_prepared(q, ScorerKeys{k, Var(), Tensor()}).value(), s.score(q, k).value(), 0, 0));
}

TEST(Scorers, MlpPreparedKeysEqualTheConcatenatedFormula) {
  for (ScoreActivation act : {ScoreActivation::tanh, ScoreActivation::relu}) {
    MlpScore s({.dim_query = 5, .dim_key = 6, .hidden = 4, .activation = act, .seed = 9});
    s.to(DType::f64);
    expect_same_values_and_gradients(
        s, [&](const Var& q, const Var& k) { return s.score_prepared(q, s.prepare(k)); },
        [&](const Var& q, const Var& k) { return mlp_reference(s, q, k, act == ScoreActivation::relu); });
  }
}

TEST(Scorers, GeneralAndDotEqualTheirFormulas) {
  GeneralScore g({.dim_query = 5, .dim_key = 6, .seed = 1});
  g.to(DType::f64);
  expect_same_values_and_gradients(
      g, [&](const Var& q, const Var& k) { return g.score(q, k); },
      [&](const Var& q, const Var& k) {
        const Pairs p = pairs(q, k);
        return sum(mul(linear(p.q, param(g, "linear_in.weight")), p.k), {3});  // [B, Tq, Tk]
      });
  const Var q = randn_var({2, 3, 6}, 6), k = randn_var({2, 4, 6}, 7);
  const Pairs p = pairs(q, k);
  const Tensor dots = sum(mul(p.q, p.k), {3}).value();
  EXPECT_TRUE(all_close(DotScore({.dim = 6, .scaled = false, .scale = std::nullopt}).score(q, k).value(), dots, 1e-12));
  EXPECT_TRUE(all_close(DotScore({.dim = 6, .scaled = true, .scale = std::nullopt}).score(q, k).value(),
                        dots * (1.0 / std::sqrt(6.0)), 1e-12));
}

TEST(Scorers, OneStepAtATimeEqualsAllQueriesAtOnce) {
  ScorerOptions o;
  o.dim_query = 5;
  o.dim_key = 3;
  o.hidden = 4;
  const Var q = randn_var({2, 3, 5}, 11), k = randn_var({2, 4, 3}, 12);
  for (ScoreKind kind : {ScoreKind::general, ScoreKind::additive, ScoreKind::mlp}) {
    o.kind = kind;
    const auto s = make_scorer(o);
    s->to(DType::f64);
    const ScorerKeys keys = s->prepare(k);
    const Tensor all = s->score(q, k).value();
    for (int64_t t = 0; t < 3; ++t) {
      EXPECT_TRUE(all_close(s->score_prepared(narrow(q, 1, t, 1), keys).value(), all.narrow(1, t, 1), 1e-12))
          << score_kind_name(kind) << " step " << t;
    }
  }
}

TEST(Scorers, SeededInitialisationLikeLinear) {
  AdditiveScore a({.dim_query = 16, .dim_key = 16, .hidden = 16, .seed = 5});
  AdditiveScore b({.dim_query = 16, .dim_key = 16, .hidden = 16, .seed = 5});
  AdditiveScore c({.dim_query = 16, .dim_key = 16, .hidden = 16, .seed = 6});
  const auto pa = a.named_parameters(), pb = b.named_parameters(), pc = c.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].second.value().to_vector<float>(), pb[i].second.value().to_vector<float>()) << pa[i].first;
    EXPECT_NE(pa[i].second.value().to_vector<float>(), pc[i].second.value().to_vector<float>()) << pa[i].first;
    for (float x : pa[i].second.value().to_vector<float>()) EXPECT_LE(std::abs(x), 0.25f) << pa[i].first;  // 1/√16
  }
  // Children draw from different streams: linear_query and linear_context do not start equal.
  EXPECT_NE(param(a, "linear_query.weight").value().to_vector<float>(),
            param(a, "linear_context.weight").value().to_vector<float>());
}

TEST(Scorers, ShapeErrorsNameTheScorerTheArgumentAndBothShapes) {
  ScorerOptions o;
  o.dim_query = 4;
  o.dim_key = 6;
  o.hidden = 3;
  const Var q = randn_var({2, 3, 4}, 1), k = randn_var({2, 5, 6}, 2);
  const char* names[] = {"GeneralScore", "AdditiveScore", "MlpScore"};
  int i = 0;
  for (ScoreKind kind : {ScoreKind::general, ScoreKind::additive, ScoreKind::mlp}) {
    o.kind = kind;
    const auto s = make_scorer(o);
    s->to(DType::f64);
    const std::string name = names[i++];
    EXPECT_THAT(error_of([&] { s->score(randn_var({2, 3, 5}, 3), k); }),
                HasSubstr(name + ": query.shape[-1] must equal dim_query (expected 4, got 5); query shape [2, 3, 5], "
                                 "keys shape [2, 5, 6]"));
    EXPECT_THAT(error_of([&] { s->score_prepared(q, ScorerKeys{randn_var({2, 5, 7}, 3), Var(), Tensor()}); }),
                HasSubstr(name + ": keys"));
    EXPECT_THAT(error_of([&] { s->score(randn_var({3, 3, 4}, 3), k); }),
                HasSubstr(name + ": query and keys must have the same batch (got 3 and 2); query shape [3, 3, 4], "
                                 "keys shape [2, 5, 6]"));
    EXPECT_THAT(error_of([&] { s->score(randn_var({3, 4}, 3), k); }),
                HasSubstr(name + ": query must be [B, Tq, Dq], got shape [3, 4]"));
    EXPECT_THAT(error_of([&] { s->score(q, Var(Tensor::zeros({2, 5, 6}))); }), HasSubstr("f64"));
  }
  DotScore dot({.dim = 4, .scaled = false, .scale = std::nullopt});
  EXPECT_THAT(error_of([&] { dot.score(q, k); }),
              HasSubstr("DotScore: keys.shape[-1] must equal dim_key (expected 4, got 6); query shape [2, 3, 4], keys "
                        "shape [2, 5, 6]"));
  EXPECT_THAT(error_of([&] { dot.score(q, randn_var({2, 5}, 3)); }),
              HasSubstr("DotScore: keys must be [B, Tk, Dk], got shape [2, 5]"));
  // Keys prepared by another scorer (a different hidden width) are refused, naming both shapes.
  AdditiveScore a3({.dim_query = 4, .dim_key = 6, .hidden = 3, .seed = 0});
  AdditiveScore a5({.dim_query = 4, .dim_key = 6, .hidden = 5, .seed = 0});
  a3.to(DType::f64);
  a5.to(DType::f64);
  EXPECT_THAT(error_of([&] { a3.score_prepared(q, a5.prepare(k)); }),
              HasSubstr("AdditiveScore: prepared keys must be [B, Tk, 3] for keys [B, Tk, Dk] (were they prepared by "
                        "another scorer?); projected shape [2, 5, 5], keys shape [2, 5, 6]"));
  EXPECT_THAT(error_of([&] { a3.prepare(randn_var({2, 5, 4}, 3)); }),
              HasSubstr("AdditiveScore: keys must be [B, Tk, 6] (dim_key 6), got shape [2, 5, 4]"));
}

}  // namespace
}  // namespace attend::nn
