// AttentionMask: every constructor (keep/drop polarity spelled out), causal offsets, bias, `&`, appended keys,
// keep_tensor/drop_tensor on 3-D and 4-D scores, and every error message.
#include "attend/nn/attention/mask.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;
using U8 = std::vector<uint8_t>;

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor i64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}
Tensor u8(std::vector<uint8_t> v, const Shape& shape) { return Tensor::from_vector(v, shape); }
U8 keep_of(const AttentionMask& m, const Shape& scores) { return m.keep_tensor(scores).to_vector<uint8_t>(); }

TEST(AttentionMask, EmptyKeepsEverythingAndApplyIsTheIdentity) {
  const AttentionMask m;
  EXPECT_TRUE(m.empty());
  EXPECT_FALSE(m.drops_keys());
  EXPECT_FALSE(m.drop_tensor({2, 3, 4}).defined());
  EXPECT_EQ(keep_of(m, {1, 2, 2}), (U8{1, 1, 1, 1}));
  const Var s(Tensor::arange(6).reshape({1, 2, 3}));
  EXPECT_TRUE(all_close(m.apply(s).value(), s.value(), 0, 0));
}

TEST(AttentionMask, KeyLengthsKeepTheFirstKeysOfEachItem) {
  const AttentionMask m = AttentionMask::key_lengths(i64({2, 3, 0}));
  EXPECT_TRUE(m.drops_keys());
  EXPECT_FALSE(m.empty());
  // scores [B=3, Tq=2, Tk=3]
  EXPECT_EQ(keep_of(m, {3, 2, 3}), (U8{1, 1, 0, 1, 1, 0, /**/ 1, 1, 1, 1, 1, 1, /**/ 0, 0, 0, 0, 0, 0}));
  // The smallest broadcastable drop tensor: [B, 1, Tk], 1 = dropped.
  const Tensor drop = m.drop_tensor({3, 2, 3});
  EXPECT_EQ(drop.shape(), (Shape{3, 1, 3}));
  EXPECT_EQ(drop.to_vector<uint8_t>(), (U8{0, 0, 1, 0, 0, 0, 1, 1, 1}));
  // 4-D scores [B, H, Tq, Tk]: the same keys for every head.
  EXPECT_EQ(m.drop_tensor({3, 2, 1, 3}).shape(), (Shape{3, 1, 1, 3}));
  EXPECT_EQ(keep_of(m, {3, 2, 1, 3}), (U8{1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
}

TEST(AttentionMask, KeepKeysAndDropKeysHaveOppositePolarity) {
  const Tensor marks = u8({1, 0, 1, 0, 7, 0}, {2, 3});  // any non-zero counts as 1
  // keep_keys: 1 = may be attended to.
  EXPECT_EQ(keep_of(AttentionMask::keep_keys(marks), {2, 1, 3}), (U8{1, 0, 1, 0, 1, 0}));
  // drop_keys: 1 = masked out (PyTorch's key_padding_mask).
  EXPECT_EQ(keep_of(AttentionMask::drop_keys(marks), {2, 1, 3}), (U8{0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(AttentionMask::drop_keys(marks).drop_tensor({2, 4, 2, 3}).shape(), (Shape{2, 1, 1, 3}));
}

TEST(AttentionMask, KeepAndDropBroadcastToTheScores) {
  const Tensor lower = u8({1, 0, 0, 1, 1, 0}, {2, 3});  // [Tq, Tk]
  EXPECT_EQ(keep_of(AttentionMask::keep(lower), {2, 2, 3}), (U8{1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0}));
  EXPECT_EQ(keep_of(AttentionMask::drop(lower), {1, 2, 3}), (U8{0, 1, 1, 0, 0, 1}));
  // Per head: [1, H, 1, Tk] on 4-D scores [B, H, Tq, Tk].
  const AttentionMask per_head = AttentionMask::drop(u8({1, 0, 0, 0}, {1, 2, 1, 2}));
  EXPECT_EQ(per_head.drop_tensor({2, 2, 3, 2}).shape(), (Shape{1, 2, 1, 2}));
  EXPECT_EQ(keep_of(per_head, {1, 2, 1, 2}), (U8{0, 1, 1, 1}));
}

TEST(AttentionMask, CausalWithOffset) {
  // Query i keeps key j iff j <= i + offset.
  EXPECT_EQ(keep_of(AttentionMask::causal(), {1, 3, 3}), (U8{1, 0, 0, 1, 1, 0, 1, 1, 1}));
  // Two cached keys: the new queries sit at positions 2 and 3 of 4 keys.
  EXPECT_EQ(keep_of(AttentionMask::causal(2), {1, 2, 4}), (U8{1, 1, 1, 0, 1, 1, 1, 1}));
  EXPECT_EQ(keep_of(AttentionMask::causal(-1), {1, 2, 2}), (U8{0, 0, 1, 0}));
  const AttentionMask c = AttentionMask::causal(1);
  EXPECT_EQ(c.causal_offset(), std::optional<int64_t>(1));
  EXPECT_EQ(c.drop_tensor({4, 2, 3, 5}).shape(), (Shape{1, 1, 3, 5}));
  EXPECT_EQ(keep_of(c, {1, 2, 2, 3}), (U8{1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1}));
}

TEST(AttentionMask, ApplyPutsMinusInfinityAtDroppedKeysAndPassesNoGradientThere) {
  const Var s(Tensor::arange(6, DType::f64).reshape({1, 2, 3}), true);
  const Var out = AttentionMask::causal().apply(s);
  EXPECT_EQ(out.value().to_vector<double>(), (std::vector<double>{0, -kInf, -kInf, 3, 4, -kInf}));
  out.backward(Tensor::ones({1, 2, 3}, DType::f64));
  EXPECT_EQ(s.grad().to_vector<double>(), (std::vector<double>{1, 0, 0, 1, 1, 0}));
}

TEST(AttentionMask, BiasIsAddedAndReceivesAGradient) {
  const Var s(Tensor::zeros({2, 2, 3}, DType::f64));
  const Var bias(Tensor::from_vector(std::vector<double>{1, -kInf, 2, 0, 0.5, -1}, {2, 3}), true);  // [Tq, Tk]
  const AttentionMask m = AttentionMask::bias(bias);
  EXPECT_FALSE(m.empty());
  EXPECT_FALSE(m.drops_keys());  // a bias never counts as dropping, even with -inf entries
  EXPECT_EQ(m.bias_parts().size(), 1u);
  const Var out = m.apply(s);
  EXPECT_EQ(out.value().to_vector<double>(), (std::vector<double>{1, -kInf, 2, 0, 0.5, -1, 1, -kInf, 2, 0, 0.5, -1}));
  sum(mul(out, 2.0)).backward();
  EXPECT_EQ(bias.grad().to_vector<double>(), (std::vector<double>{4, 4, 4, 4, 4, 4}));  // summed over the batch
  // A per-head bias on 4-D scores (ALiBi-like): [1, H, 1, Tk].
  const Var alibi(Tensor::from_vector(std::vector<double>{0, -1, 0, -2}, {1, 2, 1, 2}));
  const Var s4(Tensor::zeros({1, 2, 1, 2}, DType::f64));
  EXPECT_EQ(AttentionMask::bias(alibi).apply(s4).value().to_vector<double>(), (std::vector<double>{0, -1, 0, -2}));
}

TEST(AttentionMask, AndKeepsOnlyWhatBothKeepAndAddsBiases) {
  const AttentionMask m = AttentionMask::key_lengths(i64({3, 1})) & AttentionMask::causal();
  EXPECT_EQ(keep_of(m, {2, 2, 3}), (U8{1, 0, 0, 1, 1, 0, /**/ 1, 0, 0, 1, 0, 0}));
  // Two length limits: the shorter wins; two causal offsets: the smaller.
  const AttentionMask lengths = AttentionMask::key_lengths(i64({3, 1})) & AttentionMask::key_lengths(i64({2, 2}));
  EXPECT_EQ(lengths.lengths()->to_vector<int64_t>(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ((AttentionMask::causal(2) & AttentionMask::causal(0)).causal_offset(), std::optional<int64_t>(0));
  // keep_keys & drop: both constraints; biases add.
  const AttentionMask kd =
      AttentionMask::keep_keys(u8({1, 1, 0}, {1, 3})) & AttentionMask::drop(u8({1, 0, 0}, {1, 3}));
  EXPECT_EQ(keep_of(kd, {1, 1, 3}), (U8{0, 1, 0}));
  const Var b1(Tensor::full({1, 1, 3}, 1.0, DType::f64)), b2(Tensor::full({3}, 0.5, DType::f64));
  const AttentionMask biased = AttentionMask::bias(b1) & AttentionMask() & AttentionMask::bias(b2) & kd;
  EXPECT_EQ(biased.apply(Var(Tensor::zeros({1, 1, 3}, DType::f64))).value().to_vector<double>(),
            (std::vector<double>{-kInf, 1.5, -kInf}));
}

TEST(AttentionMask, AppendedKeysAreAlwaysKept) {
  // Tk = 3 real keys + 2 appended (add_bias_kv / add_zero_attn).
  const AttentionMask m =
      (AttentionMask::key_lengths(i64({1, 3})) & AttentionMask::causal()).with_kept_keys_appended(2);
  EXPECT_EQ(m.appended_keys(), 2);
  EXPECT_EQ(keep_of(m, {2, 2, 5}), (U8{1, 0, 0, 1, 1, /**/ 1, 0, 0, 1, 1, /**/ 1, 0, 0, 1, 1, /**/ 1, 1, 0, 1, 1}));
  EXPECT_EQ(keep_of(AttentionMask::drop_keys(u8({1, 0}, {1, 2})).with_kept_keys_appended(1), {1, 1, 3}),
            (U8{0, 1, 1}));
  // A bias over the real keys gets 0 on the appended ones.
  const Var bias(Tensor::from_vector(std::vector<double>{1, 2, 3}, {3}));
  const AttentionMask b = AttentionMask::bias(bias).with_kept_keys_appended(1);
  EXPECT_EQ(b.apply(Var(Tensor::zeros({1, 1, 4}, DType::f64))).value().to_vector<double>(),
            (std::vector<double>{1, 2, 3, 0}));
  // Nothing drops: no drop tensor, keep_tensor all ones.
  EXPECT_FALSE(AttentionMask().with_kept_keys_appended(1).drop_tensor({1, 1, 2}).defined());
}

TEST(AttentionMask, ConstructionErrorsNameTheDtypeAndShape) {
  EXPECT_THAT(error_of([] { AttentionMask::key_lengths(Tensor::zeros({2})); }),
              HasSubstr("AttentionMask::key_lengths: lengths must be i64 [B], got f32 of shape [2]"));
  EXPECT_THAT(error_of([] { AttentionMask::key_lengths(Tensor::zeros({2, 1}, DType::i64)); }),
              HasSubstr("lengths must be i64 [B], got i64 of shape [2, 1]"));
  EXPECT_THAT(error_of([] { AttentionMask::keep_keys(Tensor::zeros({2, 3})); }),
              HasSubstr("AttentionMask::keep_keys: the mask must be u8 (0/1), got f32 of shape [2, 3]"));
  EXPECT_THAT(error_of([] { AttentionMask::drop_keys(Tensor::zeros({3}, DType::u8)); }),
              HasSubstr("AttentionMask::drop_keys: the mask must be [B, Tk], got shape [3]"));
  EXPECT_THAT(error_of([] { AttentionMask::drop(Tensor::zeros({3, 3}, DType::i64)); }),
              HasSubstr("AttentionMask::drop: the mask must be u8 (0/1), got i64 of shape [3, 3]"));
  EXPECT_THAT(error_of([] { AttentionMask::keep(Tensor()); }),
              HasSubstr("AttentionMask::keep: the mask tensor is undefined"));
  EXPECT_THAT(error_of([] { AttentionMask::bias(Var(Tensor::zeros({2, 2}, DType::i64))); }),
              HasSubstr("AttentionMask::bias: the bias must be a floating tensor, got i64 of shape [2, 2]"));
  EXPECT_THAT(error_of([] { AttentionMask::causal().with_kept_keys_appended(-1); }),
              HasSubstr("with_kept_keys_appended: n must be >= 0, got -1"));
  EXPECT_THAT(error_of([] { (void)(AttentionMask::causal().with_kept_keys_appended(1) & AttentionMask::causal()); }),
              HasSubstr("cannot combine masks with different appended keys (1 and 0)"));
  EXPECT_THAT(error_of([] { (void)(AttentionMask::key_lengths(i64({1, 2})) & AttentionMask::key_lengths(i64({1}))); }),
              HasSubstr("combining key_lengths of shapes [2] and [1]"));
}

TEST(AttentionMask, ApplyErrorsNameThePartAndBothShapes) {
  const Var s(Tensor::zeros({2, 1, 3}));
  EXPECT_THAT(error_of([&] { AttentionMask::key_lengths(i64({4, 1})).apply(s); }),
              HasSubstr("key_lengths[0] = 4 is outside [0, 3] (Tk)"));
  EXPECT_THAT(error_of([&] { AttentionMask::key_lengths(i64({1, -1})).apply(s); }),
              HasSubstr("key_lengths[1] = -1 is outside [0, 3] (Tk)"));
  EXPECT_THAT(error_of([&] { AttentionMask::key_lengths(i64({1, 1, 1})).apply(s); }),
              HasSubstr("key_lengths has 3 entries but the scores have batch 2; scores shape [2, 1, 3]"));
  EXPECT_THAT(error_of([&] { AttentionMask::keep_keys(Tensor::ones({2, 4}, DType::u8)).apply(s); }),
              HasSubstr("key mask shape [2, 4] does not match the scores (expected [2, 3]); scores shape [2, 1, 3]"));
  EXPECT_THAT(error_of([&] { AttentionMask::drop(Tensor::ones({1, 4}, DType::u8)).apply(s); }),
              HasSubstr("mask shape [1, 4] does not broadcast to the scores [2, 1, 3] (dim 2: 4 vs 3)"));
  EXPECT_THAT(error_of([&] { AttentionMask::keep(Tensor::ones({1, 2, 1, 3}, DType::u8)).apply(s); }),
              HasSubstr("mask shape [1, 2, 1, 3] has more dims than the scores [2, 1, 3]"));
  EXPECT_THAT(error_of([&] { AttentionMask::causal().apply(Var(Tensor::zeros({3, 3}))); }),
              HasSubstr("scores must be [B, Tq, Tk] or [B, H, Tq, Tk], got shape [3, 3]"));
  EXPECT_THAT(error_of([&] { AttentionMask::causal().with_kept_keys_appended(4).apply(s); }),
              HasSubstr("scores shape [2, 1, 3] has fewer keys than the 4 appended ones"));
  EXPECT_THAT(error_of([&] { AttentionMask::bias(Var(Tensor::zeros({2, 1, 4}))).apply(s); }),
              HasSubstr("bias shape [2, 1, 4] does not broadcast to the scores [2, 1, 3] (dim 2: 4 vs 3)"));
  EXPECT_THAT(error_of([&] { AttentionMask::bias(Var(Tensor::zeros({1, 2, 1, 3}))).apply(s); }),
              HasSubstr("bias shape [1, 2, 1, 3] has more dims than the scores [2, 1, 3]"));
  EXPECT_THAT(error_of([&] { AttentionMask::bias(Var(Tensor::zeros({3}, DType::f64))).apply(s); }),
              HasSubstr("bias is f64 but the scores are f32"));
  EXPECT_THAT(error_of([&] { AttentionMask::causal().keep_tensor({3}); }), HasSubstr("got shape [3]"));
}

}  // namespace
}  // namespace attend::nn
