// scaled_dot_product_attention's fused path against its composite path (f32, and the composite in f64): context,
// gradients of q, k, v and the weights recomputed from the saved lse, under every mask part the fused kernel takes,
// fully masked rows included; which calls take which path; 1 vs 2 threads; the error messages; bf16 precision.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "attend/core/threads.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/ops/flash_attention.hpp"
#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::bitwise_equal;
using attend::testing::error_of;
using ::testing::HasSubstr;

struct Grads {
  Tensor context, weights, dq, dk, dv;
};

// One forward + backward with a fixed upstream gradient, in dtype `t`, by `impl`.
Grads run(const Shape& qs, const Shape& ks, const Shape& vs, const AttentionMask& mask, AttentionImpl impl,
          DType t = DType::f32, bool weights = true) {
  Rng rng(3);
  const Var q(Tensor::randn(qs, rng).to(t), true), k(Tensor::randn(ks, rng).to(t), true),
      v(Tensor::randn(vs, rng).to(t), true);
  const Tensor up = Tensor::randn({qs[0], qs[1], qs[2], vs[3]}, rng).to(t);
  Grads g;
  if (weights) {  // weights without a gradient: under no-grad (the fused path recomputes them from the lse)
    NoGradGuard no_grad;
    g.weights = scaled_dot_product_attention(q, k, v, mask, {.need_weights = true, .implementation = impl})
                    .weights.value();
  }
  const AttentionOutput o = scaled_dot_product_attention(q, k, v, mask, {.implementation = impl});
  o.context.backward(up);
  g.context = o.context.value();
  g.dq = q.grad();
  g.dk = k.grad();
  g.dv = v.grad();
  return g;
}

// mask_of(dtype): the mask for inputs of that dtype (a bias must match the scores' dtype).
void expect_match(const Shape& qs, const Shape& ks, const Shape& vs,
                  const std::function<AttentionMask(DType)>& mask_of) {
  const Grads f = run(qs, ks, vs, mask_of(DType::f32), AttentionImpl::fused);
  const Grads c = run(qs, ks, vs, mask_of(DType::f32), AttentionImpl::composite);
  const Grads c64 = run(qs, ks, vs, mask_of(DType::f64), AttentionImpl::composite, DType::f64);
  for (const auto& [name, a, b, b64] : {std::tuple{"context", f.context, c.context, c64.context},
                                        std::tuple{"weights", f.weights, c.weights, c64.weights},
                                        std::tuple{"dq", f.dq, c.dq, c64.dq}, std::tuple{"dk", f.dk, c.dk, c64.dk},
                                        std::tuple{"dv", f.dv, c.dv, c64.dv}}) {
    EXPECT_TRUE(all_close(a, b, 1e-5, 1e-5)) << name << " vs composite f32";
    EXPECT_TRUE(all_close(a.to(DType::f64), b64, 1e-5, 1e-5)) << name << " vs composite f64";
  }
}
void expect_match(const Shape& qs, const Shape& ks, const Shape& vs, const AttentionMask& mask) {
  expect_match(qs, ks, vs, [&](DType) { return mask; });
}

Tensor i64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}

TEST(FlashAttention, MatchesCompositeWithoutMask) {
  for (int64_t n : {1, 7, 64, 129}) expect_match({2, 2, n, 16}, {2, 2, n, 16}, {2, 2, n, 16}, AttentionMask());
  expect_match({1, 4, 9, 24}, {1, 2, 70, 24}, {1, 2, 70, 80}, AttentionMask());  // GQA, Tq ≠ Tk, Dv ≠ D
}

TEST(FlashAttention, MatchesCompositeUnderMasks) {
  const Shape q{3, 2, 70, 24}, k{3, 2, 70, 24};
  expect_match(q, k, k, AttentionMask::key_lengths(i64({0, 70, 5})));  // item 0: every row fully masked
  expect_match(q, k, k, AttentionMask::causal());
  expect_match(q, k, k, AttentionMask::causal(-4));                     // the first 4 queries see no key
  expect_match({3, 2, 5, 24}, k, k, AttentionMask::causal(65));         // decoding after 65 cached keys
  Rng rng(9);
  const Tensor bias = Tensor::randn({2, 70, 70}, rng);  // [H, Tq, Tk], broadcast over the batch
  expect_match(q, k, k, [&](DType t) { return AttentionMask::bias(Var(bias.to(t))); });
  Tensor keep = Tensor::from_vector(std::vector<uint8_t>(3 * 70, 1), {3, 70});
  for (int64_t j = 0; j < 70; j += 3) keep.data<uint8_t>()[70 + j] = 0;
  expect_match(q, k, k, AttentionMask::keep_keys(keep) & AttentionMask::key_lengths(i64({60, 0, 70})) &
                            AttentionMask::causal(1));
}

// Dropout while training: the fused op drops the weights the composite's dropout op drops (the same Philox words,
// by element index), so context and gradients match; the Rng moves by the same B·H·Tq·Tk words; the weights are
// those before dropout on both paths (with a gradient: the composite's, drawn without moving the Rng again).
TEST(FlashAttention, DropoutDropsTheCompositesWeightsAndMovesTheRngAlike) {
  struct Out {
    Grads g;
    uint64_t offset;
  };
  auto go = [](const Shape& qs, const Shape& ks, const AttentionMask& mask, AttentionImpl impl, bool weights) {
    Rng data(3);
    const Var q(Tensor::randn(qs, data), true), k(Tensor::randn(ks, data), true), v(Tensor::randn(ks, data), true);
    const Tensor up = Tensor::randn({qs[0], qs[1], qs[2], ks[3]}, data);
    Rng drop(11, 1, 6);
    const AttentionOutput o = scaled_dot_product_attention(
        q, k, v, mask,
        {.dropout = 0.3, .training = true, .rng = &drop, .need_weights = weights, .implementation = impl});
    o.context.backward(up);
    return Out{{o.context.value(), weights ? o.weights.value() : Tensor(), q.grad(), k.grad(), v.grad()},
               drop.offset()};
  };
  const Shape q{2, 4, 70, 24}, k{2, 2, 129, 24};
  for (const AttentionMask& mask : {AttentionMask(), AttentionMask::key_lengths(i64({100, 0})) &
                                                         AttentionMask::causal(60)}) {
    for (bool weights : {false, true}) {
      const Out f = go(q, k, mask, AttentionImpl::fused, weights);
      const Out c = go(q, k, mask, AttentionImpl::composite, weights);
      EXPECT_EQ(f.offset, c.offset);
      EXPECT_EQ(f.offset, 6U + 2 * 4 * 70 * 129);
      EXPECT_TRUE(all_close(f.g.context, c.g.context, 1e-5, 1e-5));
      EXPECT_TRUE(all_close(f.g.dq, c.g.dq, 1e-5, 1e-5));
      EXPECT_TRUE(all_close(f.g.dk, c.g.dk, 1e-5, 1e-5));
      EXPECT_TRUE(all_close(f.g.dv, c.g.dv, 1e-5, 1e-5));
      if (weights) {
        EXPECT_TRUE(all_close(f.g.weights, c.g.weights, 1e-5, 1e-5));
      }
    }
  }
  // dropout changes the context (against eval mode, same inputs)
  const Out f = go(q, k, {}, AttentionImpl::fused, false);
  Rng data(3);
  const Var q0(Tensor::randn(q, data)), k0(Tensor::randn(k, data)), v0(Tensor::randn(k, data));
  EXPECT_FALSE(all_close(f.g.context, scaled_dot_product_attention(q0, k0, v0, {}, {}).context.value(), 1e-3, 1e-3));
}

TEST(FlashAttention, AutomaticPicksTheFusedOpForSupportedF32Calls) {
  Rng rng(1);
  const Var q(Tensor::randn({1, 2, 3, 4}, rng), true);
  EXPECT_STREQ(scaled_dot_product_attention(q, q, q, AttentionMask::causal(), {}).context.op(), "flash_attention");
  EXPECT_STRNE(scaled_dot_product_attention(q, q, q, {}, {.implementation = AttentionImpl::composite}).context.op(),
               "flash_attention");
  Rng drop_rng(2);
  EXPECT_STREQ(
      scaled_dot_product_attention(q, q, q, {}, {.dropout = 0.5, .training = true, .rng = &drop_rng}).context.op(),
      "flash_attention");
  EXPECT_THAT(error_of([&] {
                scaled_dot_product_attention(q, q, q, {}, {.dropout = 0.5, .training = true});
              }),
              HasSubstr("dropout 0.5 while training needs an Rng"));
  const Var bias(Tensor::zeros({3, 3}), true);  // a learned bias needs the composite's gradient
  EXPECT_STRNE(scaled_dot_product_attention(q, q, q, AttentionMask::bias(bias), {}).context.op(), "flash_attention");
  const Var q64(Tensor::randn({1, 2, 3, 4}, rng, DType::f64), true);
  EXPECT_STRNE(scaled_dot_product_attention(q64, q64, q64, {}, {}).context.op(), "flash_attention");
}

TEST(FlashAttention, OneAndTwoThreadsAreBitwiseEqual) {
  const int saved = num_threads();
  const AttentionMask mask = AttentionMask::key_lengths(i64({100, 37})) & AttentionMask::causal(3);
  set_num_threads(1);
  const Grads one = run({2, 4, 100, 64}, {2, 2, 100, 64}, {2, 2, 100, 64}, mask, AttentionImpl::fused);
  set_num_threads(2);
  const Grads two = run({2, 4, 100, 64}, {2, 2, 100, 64}, {2, 2, 100, 64}, mask, AttentionImpl::fused);
  set_num_threads(saved);
  EXPECT_TRUE(bitwise_equal(one.context, two.context));
  EXPECT_TRUE(bitwise_equal(one.weights, two.weights));
  EXPECT_TRUE(bitwise_equal(one.dq, two.dq));
  EXPECT_TRUE(bitwise_equal(one.dk, two.dk));
  EXPECT_TRUE(bitwise_equal(one.dv, two.dv));
}

// q, k, v as head-split views of one [B, T, 3E] projection (as MultiHeadAttention makes them) are read in place:
// the context and every gradient are bitwise those of contiguous copies, the context is stored [B, T, H, D] (its
// transpose reshapes to [B, T, E] without a copy), and the projection's gradient is the three heads' gradients.
TEST(FlashAttention, HeadSplitViewsOfOneProjectionGiveTheContiguousResults) {
  const int64_t B = 2, T = 70, H = 4, D = 16, E = H * D;
  Rng rng(5);
  const Tensor x = Tensor::randn({B, T, 3 * E}, rng), up = Tensor::randn({B, H, T, D}, rng);
  auto heads = [&](const Var& qkv, int64_t part) {  // [B, H, T, D], a view when qkv is
    return transpose(reshape(narrow(qkv, 2, part * E, E), {B, T, H, D}), 1, 2);
  };
  const Var viewed(x, true);
  const Var qv = heads(viewed, 0), kv = heads(viewed, 1), vv = heads(viewed, 2);
  ASSERT_FALSE(qv.value().is_contiguous());
  const FlashAttentionResult in_place = flash_attention(qv, kv, vv, {.causal_offset = 0}, 0.25);
  in_place.context.backward(up);
  EXPECT_TRUE(transpose(in_place.context, 1, 2).value().is_contiguous()) << "the context is not stored [B, T, H, D]";

  const Var q(qv.value().contiguous(), true), k(kv.value().contiguous(), true), v(vv.value().contiguous(), true);
  const FlashAttentionResult copied = flash_attention(q, k, v, {.causal_offset = 0}, 0.25);
  copied.context.backward(up);
  EXPECT_TRUE(bitwise_equal(in_place.context.value().contiguous(), copied.context.value()));
  EXPECT_TRUE(bitwise_equal(in_place.lse, copied.lse));
  const Tensor g = viewed.grad();  // [B, T, 3E]: the gradients of q, k, v side by side
  EXPECT_TRUE(bitwise_equal(heads(Var(g), 0).value().contiguous(), q.grad().contiguous()));
  EXPECT_TRUE(bitwise_equal(heads(Var(g), 1).value().contiguous(), k.grad().contiguous()));
  EXPECT_TRUE(bitwise_equal(heads(Var(g), 2).value().contiguous(), v.grad().contiguous()));
}

TEST(FlashAttention, ErrorsNameTheArgumentAndShapes) {
  const Var q(Tensor::zeros({2, 4, 3, 8})), k(Tensor::zeros({2, 3, 5, 8})), v(Tensor::zeros({2, 3, 6, 8}));
  const Var k2(Tensor::zeros({2, 2, 5, 8})), k6(Tensor::zeros({2, 2, 5, 6}));
  EXPECT_THAT(error_of([&] { flash_attention(q, k, k, {}, 1.0); }),
              HasSubstr("flash_attention: the key/value heads (3) must divide the query heads (4); q shape "
                        "[2, 4, 3, 8]"));
  EXPECT_THAT(error_of([&] { flash_attention(q, k6, k6, {}, 1.0); }),
              HasSubstr("flash_attention: k must be [B=2, Hkv, Tk, D=8]; k shape [2, 2, 5, 6], q shape [2, 4, 3, 8]"));
  EXPECT_THAT(error_of([&] { flash_attention(q, k2, Var(Tensor::zeros({2, 2, 6, 8})), {}, 1.0); }),
              HasSubstr("flash_attention: v must be [B=2, Hkv=2, Tk=5, Dv]; v shape [2, 2, 6, 8]"));
  EXPECT_THAT(error_of([&] { flash_attention(q, k2, k2, {.key_lengths = i64({5, 6})}, 1.0); }),
              HasSubstr("flash_attention: key_lengths[1] = 6 is outside [0, 5] (Tk)"));
  EXPECT_THAT(error_of([&] { flash_attention(q, k2, k2, {.bias = Tensor::zeros({3, 4})}, 1.0); }),
              HasSubstr("flash_attention: bias shape [3, 4] does not broadcast to the scores [2, 4, 3, 5]"));
  EXPECT_THAT(error_of([&] { flash_attention(q, k2, k2, {.keep = Tensor::zeros({2, 5})}, 1.0); }),
              HasSubstr("flash_attention: keep must be u8, got f32 of shape [2, 5]"));
  for (double p : {-0.1, 1.0})
    EXPECT_THAT(error_of([&] { flash_attention(q, k2, k2, {}, 1.0, {.p = p}); }),
                HasSubstr(fmt::format("flash_attention: dropout p must be in [0, 1), got {}; q shape [2, 4, 3, 8]",
                                      p)));
  const Var learned_bias(Tensor::zeros({3, 5}), true);
  EXPECT_THAT(error_of([&] {
                scaled_dot_product_attention(q, k2, k2, AttentionMask::bias(learned_bias),
                                             {.implementation = AttentionImpl::fused});
              }),
              HasSubstr("the fused implementation does not support a bias that needs a gradient; q shape "
                        "[2, 4, 3, 8]"));
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const Tensor x = a.contiguous(), y = b.contiguous();
  double m = 0.0;
  for (int64_t i = 0; i < x.numel(); ++i)
    m = std::max<double>(m, std::abs(x.data<float>()[i] - y.data<float>()[i]));
  return m;
}

// bf16 products: the fused op's context and weights stay within bf16's rounding of the f32 composite's (and are not
// the f32 values), the recomputed weights sum to 1, and the calls it cannot serve say why.
TEST(FlashAttention, Bf16PrecisionIsTheFusedOpForInference) {
  Rng rng(5);
  const Var q(Tensor::randn({2, 4, 70, 32}, rng)), k(Tensor::randn({2, 2, 75, 32}, rng)),
      v(Tensor::randn({2, 2, 75, 32}, rng));
  const AttentionMask mask = AttentionMask::key_lengths(i64({75, 40})) & AttentionMask::causal(5);
  NoGradGuard no_grad;
  const AttentionOutput b16 = scaled_dot_product_attention(
      q, k, v, mask, {.need_weights = true, .precision = AttentionPrecision::bf16});
  const AttentionOutput f32 = scaled_dot_product_attention(
      q, k, v, mask, {.need_weights = true, .implementation = AttentionImpl::composite});
  const double dc = max_abs_diff(b16.context.value(), f32.context.value());
  const double dw = max_abs_diff(b16.weights.value(), f32.weights.value());
  EXPECT_GT(dc, 1e-4);
  EXPECT_LT(dc, 0.05);
  EXPECT_GT(dw, 1e-5);
  EXPECT_LT(dw, 0.05);
  const Tensor w = b16.weights.value();  // [2, 4, 70, 75]
  for (int64_t row = 0; row < 2 * 4 * 70; ++row) {
    double sum = 0.0;
    for (int64_t j = 0; j < 75; ++j) sum += w.data<float>()[row * 75 + j];
    ASSERT_NEAR(sum, 1.0, 1e-5) << "row " << row;
  }
}

// The bf16 backward (mixed precision): through the op and the autograd graph, dq, dk and dv stay within bf16's
// rounding of the f32 composite's gradients and are not those gradients; masked keys (lengths, causal) get none.
TEST(FlashAttention, Bf16PrecisionTrainsWithinItsRoundingOfF32) {
  Rng rng(7);
  const Tensor qt = Tensor::randn({2, 4, 70, 32}, rng), kt = Tensor::randn({2, 2, 75, 32}, rng),
               vt = Tensor::randn({2, 2, 75, 32}, rng), up = Tensor::randn({2, 4, 70, 32}, rng);
  const AttentionMask mask = AttentionMask::key_lengths(i64({75, 40})) & AttentionMask::causal(5);
  auto grads = [&](const ScaledDotProductOptions& o) {
    const Var q(qt.clone(), true), k(kt.clone(), true), v(vt.clone(), true);
    scaled_dot_product_attention(q, k, v, mask, o).context.backward(up);
    return std::array<Tensor, 3>{q.grad(), k.grad(), v.grad()};
  };
  const auto b16 = grads({.precision = AttentionPrecision::bf16});
  const auto f32 = grads({.implementation = AttentionImpl::composite});
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const double size = max_abs_diff(f32[i], Tensor::zeros(f32[i].shape())), diff = max_abs_diff(b16[i], f32[i]);
    EXPECT_GT(diff, 1e-4 * size);
    EXPECT_LT(diff, 0.03 * size);
  }
  // item 1 has 40 keys: keys 40.. get no gradient
  EXPECT_EQ(max_abs_diff(b16[1].select(0, 1).narrow(1, 40, 35), Tensor::zeros({2, 35, 32})), 0.0);
  EXPECT_EQ(max_abs_diff(b16[2].select(0, 1).narrow(1, 40, 35), Tensor::zeros({2, 35, 32})), 0.0);
}

TEST(FlashAttention, Bf16PrecisionErrorsSayWhy) {
  Rng rng(6);
  const Var q(Tensor::randn({1, 2, 3, 4}, rng), true);
  const ScaledDotProductOptions bf16{.precision = AttentionPrecision::bf16};
  EXPECT_THAT(error_of([&] {
                scaled_dot_product_attention(q, q, q, {}, {.implementation = AttentionImpl::composite,
                                                           .precision = AttentionPrecision::bf16});
              }),
              HasSubstr("bf16 products run only in the fused implementation, not the composite; q shape [1, 2, 3, 4]"));
  const Var q64(Tensor::randn({1, 2, 3, 4}, rng, DType::f64));
  EXPECT_THAT(error_of([&] { scaled_dot_product_attention(q64, q64, q64, {}, bf16); }),
              HasSubstr("flash_attention: bf16 products take f32 inputs, got f64"));
  const Var bias64(Tensor::zeros({3, 3}, DType::f64));
  EXPECT_THAT(error_of([&] { scaled_dot_product_attention(q, q, q, AttentionMask::bias(bias64), bf16); }),
              HasSubstr("the fused implementation does not support a bias of another dtype"));
}

}  // namespace
}  // namespace attend::nn
