// The fused additive scores (ops/additive_scores.hpp) against AdditiveScore's composite path: scores and every
// gradient agree in f32 and f64, through a masked softmax; shape errors name the argument.
#include "attend/ops/additive_scores.hpp"

#include <gtest/gtest.h>

#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/nn/attention/additive_score.hpp"
#include "attend/nn/attention/mask.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/softmax.hpp"
#include "attend/tensor/elementwise.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::all_close;
using testing::bitwise_equal;
using testing::error_of;

struct Run {
  Tensor scores;
  std::vector<Tensor> grads;  // query, keys, every parameter
};

// B 3, Tq 4, Tk 6 (item 1 has 2 keys), Dq 5, Dk 7, h 19 (not a multiple of the vector width).
Run run(DType dtype, bool fused) {
  Rng rng(5);
  nn::AdditiveScore scorer({.dim_query = 5, .dim_key = 7, .hidden = 19, .seed = 3});
  scorer.to(dtype);
  Var q(Tensor::randn({3, 4, 5}, rng, dtype), true), k(Tensor::randn({3, 6, 7}, rng, dtype), true);
  const nn::ScorerKeys keys = scorer.prepare(k);
  const Var e = fused ? scorer.score_prepared(q, keys) : scorer.score_composite(q, keys);
  const nn::AttentionMask mask = nn::AttentionMask::key_lengths(Tensor::from_vector<int64_t>({6, 2, 5}, {3}));
  const Var w = softmax(mask.apply(e), -1);
  sum(mul(w, Var(Tensor::randn({3, 4, 6}, rng, dtype)))).backward();
  Run r{e.value(), {q.grad(), k.grad()}};
  for (const auto& [name, p] : scorer.named_parameters()) r.grads.push_back(p.grad());
  return r;
}

void expect_agree(DType dtype, double tol) {
  const Run fused = run(dtype, true), composite = run(dtype, false);
  EXPECT_TRUE(all_close(fused.scores, composite.scores, tol, tol));
  ASSERT_EQ(fused.grads.size(), composite.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    ASSERT_TRUE(fused.grads[i].defined()) << i;
    EXPECT_TRUE(all_close(fused.grads[i], composite.grads[i], tol, tol)) << "grad " << i;
  }
}

TEST(AdditiveScores, FusedEqualsCompositeF64) { expect_agree(DType::f64, 1e-12); }
TEST(AdditiveScores, FusedEqualsCompositeF32) { expect_agree(DType::f32, 2e-6); }

TEST(AdditiveScores, KeyLengthsScoreTheKeptKeysAlikeAndZeroTheRest) {
  Rng rng(4);
  Var q(Tensor::randn({3, 2, 6}, rng), true), k(Tensor::randn({3, 5, 6}, rng), true), v(Tensor::randn({1, 6}, rng), true);
  Var q2(q.value(), true), k2(k.value(), true), v2(v.value(), true);
  const std::vector<int64_t> len = {5, 2, 0};
  const Var all = additive_scores(q, k, v), cut = additive_scores(q2, k2, v2, Tensor::from_vector(len, {3}));
  const Tensor keep = Tensor::from_vector(std::vector<float>{1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}, {3, 1, 5});
  EXPECT_TRUE(all_close(cut.value(), all.value() * keep.expand({3, 2, 5}), 0.0, 0.0));  // kept keys as before, else 0
  const Tensor g = Tensor::randn({3, 2, 5}, rng);
  sum(mul(all, Var(g * keep.expand({3, 2, 5})))).backward();  // the gradient a length mask lets through
  sum(mul(cut, Var(g))).backward();
  EXPECT_TRUE(all_close(q2.grad(), q.grad(), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(k2.grad(), k.grad(), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(v2.grad(), v.grad(), 1e-6, 1e-6));
  EXPECT_NE(error_of([&] { additive_scores(q, k, v, Tensor::from_vector<int64_t>({5, 6, 0}, {3})); })
                .find("key_lengths[1] = 6 is outside [0, Tk = 5]"),
            std::string::npos);
}

TEST(AdditiveScores, OneAndTwoThreadsAreBitwiseEqual) {
  const int saved = num_threads();
  auto go = [](int threads) {
    set_num_threads(threads);
    Rng rng(9);
    Var q(Tensor::randn({16, 8, 64}, rng), true), k(Tensor::randn({16, 30, 64}, rng), true);
    Var v(Tensor::randn({1, 64}, rng), true);
    const Var e = additive_scores(q, k, v);
    sum(mul(e, Var(Tensor::randn({16, 8, 30}, rng)))).backward();
    return std::vector<Tensor>{e.value(), q.grad(), k.grad(), v.grad()};
  };
  const auto one = go(1), two = go(2);
  set_num_threads(saved);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(bitwise_equal(one[i], two[i])) << i;
}

TEST(AdditiveScores, ShapeErrorsNameTheArgument) {
  const Var q(Tensor::zeros({2, 3, 5})), k(Tensor::zeros({2, 4, 5})), v(Tensor::zeros({1, 5}));
  EXPECT_NE(error_of([&] { additive_scores(Var(Tensor::zeros({3, 5})), k, v); }).find("wq must be [B, Tq, h]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { additive_scores(q, Var(Tensor::zeros({2, 4, 6})), v); }).find("uk shape [2, 4, 6]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { additive_scores(q, k, Var(Tensor::zeros({5}))); }).find("v must be [1, h] = [1, 5]"),
            std::string::npos);
}

}  // namespace
}  // namespace attend
