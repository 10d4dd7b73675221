// GlobalAttention: OpenNMT-py's flat parameter names, the formula for each attn_type, the one-step query, prepared
// memory, masks, and the errors.
#include "attend/nn/attention/global_attention.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;
using Names = std::vector<std::pair<std::string, Shape>>;

Tensor randn(const Shape& shape, uint64_t seed) {
  Rng rng(seed);
  return Tensor::randn(shape, rng, DType::f64);
}
Tensor i64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}
Names names_of(const Module& m) {
  Names out;
  for (const auto& [name, p] : m.named_parameters()) out.emplace_back(name, p.shape());
  std::sort(out.begin(), out.end());
  return out;
}
Var param(const Module& m, const std::string& name) {
  for (const auto& [n, p] : m.named_parameters()) {
    if (n == name) return p;
  }
  throw Error("no parameter " + name);
}

std::shared_ptr<GlobalAttention> make(ScoreKind type, int64_t dim = 5) {
  auto m = std::make_shared<GlobalAttention>(GlobalAttentionOptions{.dim = dim, .attn_type = type, .seed = 3});
  m->to(DType::f64);
  return m;
}

TEST(GlobalAttention, ParameterNamesAreOpenNMTsFlatNames) {
  EXPECT_EQ(names_of(*make(ScoreKind::dot)), (Names{{"linear_out.weight", {5, 10}}}));
  EXPECT_EQ(names_of(*make(ScoreKind::general)), (Names{{"linear_in.weight", {5, 5}}, {"linear_out.weight", {5, 10}}}));
  EXPECT_EQ(names_of(*make(ScoreKind::additive)),
            (Names{{"linear_context.weight", {5, 5}},
                   {"linear_out.bias", {5}},
                   {"linear_out.weight", {5, 10}},
                   {"linear_query.bias", {5}},
                   {"linear_query.weight", {5, 5}},
                   {"v.weight", {1, 5}}}));
  // The module converts the scorer's parameters too (they are the same Vars).
  const auto m = make(ScoreKind::additive);
  EXPECT_EQ(m->scorer().parameters()[0].dtype(), DType::f64);
  EXPECT_EQ(m->scorer().kind_name(), "additive");
}

// OpenNMT-py's GlobalAttention written out with plain ops: query [B, Tq, D], memory [B, Tk, D], lengths [B].
std::pair<Tensor, Tensor> reference(const GlobalAttention& m, const Var& q, const Var& mem, const Tensor& lengths) {
  const int64_t B = q.size(0), Tq = q.size(1), Tk = mem.size(1), D = q.size(2);
  Var scores;  // [B, Tq, Tk]
  switch (m.options().attn_type) {
    case ScoreKind::general:
      scores = matmul(linear(q, param(m, "linear_in.weight")), transpose(mem, 1, 2));
      break;
    case ScoreKind::additive: {
      const Var wq = expand(unsqueeze(linear(q, param(m, "linear_query.weight"), param(m, "linear_query.bias")), 2),
                            {B, Tq, Tk, D});
      const Var uh = expand(unsqueeze(linear(mem, param(m, "linear_context.weight")), 1), {B, Tq, Tk, D});
      scores = squeeze(linear(tanh(add(wq, uh)), param(m, "v.weight")), 3);
      break;
    }
    default:
      scores = matmul(q, transpose(mem, 1, 2));
  }
  Tensor drop = Tensor::zeros({B, 1, Tk}, DType::u8);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t j = lengths.data<int64_t>()[b]; j < Tk; ++j) drop.data<uint8_t>()[b * Tk + j] = 1;
  }
  const Var align = softmax(masked_fill(scores, drop, -INFINITY), -1);
  const Var c = matmul(align, mem);
  Var h = linear(concat({c, q}, 2), param(m, "linear_out.weight"),
                 m.options().attn_type == ScoreKind::additive ? param(m, "linear_out.bias") : Var());
  if (m.options().attn_type != ScoreKind::additive) h = tanh(h);
  return {h.value(), align.value()};
}

TEST(GlobalAttention, MatchesOpenNMTsFormulaForEachType) {
  const Var q(randn({3, 2, 5}, 1)), mem(randn({3, 4, 5}, 2));
  const Tensor lengths = i64({4, 1, 3});
  for (ScoreKind type : {ScoreKind::dot, ScoreKind::general, ScoreKind::additive}) {
    SCOPED_TRACE(score_kind_name(type));
    const auto m = make(type);
    const auto [h, align] = m->forward(q, mem, AttentionMask::key_lengths(lengths));
    const auto [want_h, want_align] = reference(*m, q, mem, lengths);
    EXPECT_EQ(h.shape(), (Shape{3, 2, 5}));
    EXPECT_EQ(align.shape(), (Shape{3, 2, 4}));
    EXPECT_TRUE(all_close(h.value(), want_h, 1e-12, 1e-10));
    EXPECT_TRUE(all_close(align.value(), want_align, 1e-12, 1e-10));
  }
}

TEST(GlobalAttention, OneStepQueryPreparedMemoryAndStepByStepAgree) {
  const Var q(randn({2, 3, 5}, 3)), mem(randn({2, 4, 5}, 4));
  const AttentionMask mask = AttentionMask::key_lengths(i64({2, 4}));
  for (ScoreKind type : {ScoreKind::dot, ScoreKind::general, ScoreKind::additive}) {
    SCOPED_TRACE(score_kind_name(type));
    const auto m = make(type);
    const GlobalAttentionOutput all = m->forward(q, mem, mask);
    const ScorerKeys keys = m->prepare(mem);
    for (int64_t t = 0; t < 3; ++t) {
      const Var q_t = select(q, 1, t);  // [B, D]: one decoder step
      const GlobalAttentionOutput step = m->forward(q_t, keys, mask);
      EXPECT_EQ(step.attn_h.shape(), (Shape{2, 5}));
      EXPECT_EQ(step.align.shape(), (Shape{2, 4}));
      EXPECT_TRUE(all_close(step.attn_h.value(), all.attn_h.value().select(1, t), 1e-12, 1e-10));
      EXPECT_TRUE(all_close(step.align.value(), all.align.value().select(1, t), 1e-12, 1e-10));
      EXPECT_TRUE(all_close(m->forward(q_t, mem, mask).attn_h.value(), step.attn_h.value(), 0, 0));
    }
  }
}

TEST(GlobalAttention, LoadsAnOpenNMTStateDictAndGradientsReachEveryParameter) {
  const auto m = make(ScoreKind::additive, 2);
  m->load_state_dict({{"linear_query.weight", Tensor::from_vector(std::vector<double>{1, 0, 0, 1}, {2, 2})},
                      {"linear_query.bias", Tensor::from_vector(std::vector<double>{0, 0}, {2})},
                      {"linear_context.weight", Tensor::from_vector(std::vector<double>{1, 0, 0, 1}, {2, 2})},
                      {"v.weight", Tensor::from_vector(std::vector<double>{1, 1}, {1, 2})},
                      {"linear_out.weight", Tensor::from_vector(std::vector<double>{1, 0, 0, 0, 0, 0, 0, 1}, {2, 4})},
                      {"linear_out.bias", Tensor::from_vector(std::vector<double>{0.5, -0.5}, {2})}});
  // One key: align = 1, c = m; h = [c_0, q_1] + b (no tanh for additive).
  const Var q(Tensor::from_vector(std::vector<double>{3, 4}, {1, 2}), true);
  const Var mem(Tensor::from_vector(std::vector<double>{7, 8}, {1, 1, 2}), true);
  const auto [h, align] = m->forward(q, mem);
  EXPECT_EQ(h.value().to_vector<double>(), (std::vector<double>{7.5, 3.5}));
  EXPECT_EQ(align.value().to_vector<double>(), (std::vector<double>{1.0}));
  sum(h).backward();
  for (const auto& [name, p] : m->named_parameters()) EXPECT_TRUE(p.grad().defined()) << name;
  EXPECT_EQ(q.grad().to_vector<double>(), (std::vector<double>{0, 1}));  // through linear_out only: align is fixed
}

TEST(GlobalAttention, FullyMaskedItemGivesZeroAlignAndFiniteOutput) {
  const auto m = make(ScoreKind::general);
  const Var q(randn({2, 3, 5}, 5), true), mem(randn({2, 4, 5}, 6), true);
  const auto [h, align] = m->forward(q, mem, AttentionMask::key_lengths(i64({4, 0})));
  sum(h).backward();
  for (double x : align.value().select(0, 1).to_vector<double>()) EXPECT_EQ(x, 0.0);
  for (double x : mem.grad().select(0, 1).to_vector<double>()) EXPECT_EQ(x, 0.0);
  for (double x : q.grad().to_vector<double>()) EXPECT_TRUE(std::isfinite(x));
  // With c = 0, h* = tanh(W_out[:, D:] q).
  const Var w_q = narrow(param(*m, "linear_out.weight"), 1, 5, 5);
  EXPECT_TRUE(all_close(h.value().select(0, 1), tanh(linear(select(q, 0, 1), w_q)).value(), 1e-12));
}

TEST(GlobalAttention, ErrorsNameTheArgumentAndShapes) {
  EXPECT_THAT(error_of([] { GlobalAttention({.dim = 0, .attn_type = ScoreKind::dot, .seed = 0}); }),
              HasSubstr("GlobalAttention: dim must be positive, got 0"));
  EXPECT_THAT(error_of([] { GlobalAttention({.dim = 4, .attn_type = ScoreKind::mlp, .seed = 0}); }),
              HasSubstr("GlobalAttention: attn_type must be dot, general or additive (OpenNMT-py's mlp), got mlp"));
  EXPECT_THAT(error_of([] { GlobalAttention({.dim = 4, .attn_type = ScoreKind::scaled_dot, .seed = 0}); }),
              HasSubstr("got scaled_dot"));
  const auto m = make(ScoreKind::dot, 4);
  const Var q(randn({2, 3, 4}, 1)), mem(randn({2, 5, 4}, 2));
  EXPECT_THAT(error_of([&] { m->forward(Var(randn({2, 3, 6}, 1)), mem); }),
              HasSubstr("GlobalAttention: query must be [B, Tq, 4] or [B, 4] (dim), got shape [2, 3, 6]; memory shape "
                        "[2, 5, 4]"));
  EXPECT_THAT(error_of([&] { m->forward(Var(randn({1, 2, 3, 4}, 1)), mem); }), HasSubstr("got shape [1, 2, 3, 4]"));
  EXPECT_THAT(error_of([&] { m->forward(q, Var(randn({2, 5, 3}, 1))); }),
              HasSubstr("GlobalAttention: memory must be [B, Tk, 4] (dim), got shape [2, 5, 3]"));
  EXPECT_THAT(error_of([&] { m->forward(Var(randn({3, 4}, 1)), mem); }),
              HasSubstr("GlobalAttention: query and memory must have the same batch (got 3 and 2); query shape [3, 4], "
                        "memory shape [2, 5, 4]"));
  EXPECT_THAT(error_of([&] { m->forward(q, mem, AttentionMask::key_lengths(i64({1, 9}))); }),
              HasSubstr("key_lengths[1] = 9 is outside [0, 5] (Tk)"));
}

}  // namespace
}  // namespace attend::nn
