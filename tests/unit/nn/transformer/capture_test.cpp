// Transformer attention capture: the kept per-head weights equal an independent computation from the layer's q/k
// projections and the composite implementation, rows are distributions over the unmasked keys, decoder self-attention
// is causal, subsets select the right slices, decoding steps give the teacher-forced rows, bad requests name limits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/nn/transformer/transformer.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::bitwise_equal;
using attend::testing::error_of;
using ::testing::HasSubstr;

constexpr int64_t kHeads = 4, kModel = 16;

TransformerOptions options() {
  return {.src_vocab = 11, .tgt_vocab = 9, .d_model = kModel, .nhead = kHeads, .num_encoder_layers = 2,
          .num_decoder_layers = 3, .dim_feedforward = 24, .dropout = 0.1, .seed = 5};
}

Tensor ids(const std::vector<int64_t>& v, const Shape& shape) { return Tensor::from_vector<int64_t>(v, shape); }

// Two sources of lengths 5 and 3 (pad 0), targets of 4 tokens starting with BOS = 2.
const Tensor kSrc = ids({4, 5, 6, 7, 8, 9, 4, 5, 0, 0}, {2, 5});
const Tensor kLengths = ids({5, 3}, {2});
const Tensor kTgtIn = ids({2, 4, 5, 6, 2, 7, 7, 3}, {2, 4});

AttentionCapture everything(const Transformer& m) {
  const auto& o = m.options();
  auto all = [](int64_t n) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(i);
    return v;
  };
  AttentionCapture c;
  c.encoder_self = {.layers = all(o.num_encoder_layers), .heads = {0, o.nhead}};
  c.decoder_self = {.layers = all(o.num_decoder_layers), .heads = {0, o.nhead}};
  c.cross = {.layers = all(o.num_decoder_layers), .heads = {0, o.nhead}};
  return c;
}

CapturedAttention capture_all(Transformer& m) {
  NoGradGuard no_grad;
  return m.forward(kSrc, kLengths, kTgtIn, everything(m)).captured;
}

// Runs f with ATTEND_ATTENTION_IMPL=composite (scaled_dot_product_attention's composite reference).
template <class F>
auto with_composite(F&& f) {
  setenv("ATTEND_ATTENTION_IMPL", "composite", 1);
  auto out = f();
  unsetenv("ATTEND_ATTENTION_IMPL");
  return out;
}

TEST(TransformerCapture, EncoderLayer0EqualsSoftmaxOfItsProjections) {
  Transformer m(options());
  m.eval();
  const CapturedAttention got = capture_all(m);
  ASSERT_EQ(got.encoder_self.size(), 2u);
  const Tensor w = got.encoder_self[0];  // [B, H, Ts, Ts]
  ASSERT_EQ(w.shape(), Shape({2, kHeads, 5, 5}));
  // The layer's input: √C-scaled embeddings plus the sinusoids (dropout off in eval mode).
  NoGradGuard no_grad;
  const Tensor emb = m.src_embed().forward(kSrc).value().contiguous();  // [B, T, C]
  const Tensor pe = SinusoidalPositionalEncoding({.dim = kModel}).encoding(5).contiguous();  // [T, C]
  std::vector<double> x(2 * 5 * kModel);
  for (int64_t i = 0; i < 2 * 5 * kModel; ++i) {
    x[i] = emb.data<float>()[i] * std::sqrt(static_cast<double>(kModel)) + pe.data<float>()[i % (5 * kModel)];
  }
  const auto state = m.encoder().layer(0).self_attn().state_dict();
  const Tensor wi = state.at("in_proj_weight").contiguous(), bi = state.at("in_proj_bias").contiguous();  // [3C, C]
  const int64_t D = kModel / kHeads;
  auto proj = [&](int64_t b, int64_t t, int64_t row) {  // row of in_proj: q rows [0, C), k rows [C, 2C)
    double s = bi.data<float>()[row];
    for (int64_t c = 0; c < kModel; ++c) s += x[(b * 5 + t) * kModel + c] * wi.data<float>()[row * kModel + c];
    return s;
  };
  const std::vector<int64_t> lengths = {5, 3};
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < kHeads; ++h)
      for (int64_t i = 0; i < 5; ++i) {
        std::vector<double> score(5, -INFINITY);
        double top = -INFINITY, total = 0;
        for (int64_t j = 0; j < lengths[b]; ++j) {
          double s = 0;
          for (int64_t d = 0; d < D; ++d) s += proj(b, i, h * D + d) * proj(b, j, kModel + h * D + d);
          score[j] = s / std::sqrt(static_cast<double>(D));
          top = std::max(top, score[j]);
        }
        for (double& s : score) total += (s = std::exp(s - top));
        for (int64_t j = 0; j < 5; ++j) {
          EXPECT_NEAR(w.data<float>()[((b * kHeads + h) * 5 + i) * 5 + j], score[j] / total, 1e-5)
              << "b " << b << " h " << h << " i " << i << " j " << j;
        }
      }
}

TEST(TransformerCapture, FusedCaptureEqualsTheComposite) {
  Transformer m(options());
  m.eval();
  const CapturedAttention fused = capture_all(m);
  const CapturedAttention composite = with_composite([&] { return capture_all(m); });
  for (CaptureKind kind : {CaptureKind::encoder_self, CaptureKind::decoder_self, CaptureKind::cross}) {
    ASSERT_EQ(fused.of(kind).size(), composite.of(kind).size()) << capture_kind_name(kind);
    for (size_t l = 0; l < fused.of(kind).size(); ++l) {
      EXPECT_TRUE(all_close(fused.of(kind)[l], composite.of(kind)[l], 1e-5, 1e-5)) << capture_kind_name(kind) << l;
    }
  }
}

TEST(TransformerCapture, RowsAreDistributionsOverUnmaskedKeysAndSelfAttentionIsCausal) {
  Transformer m(options());
  m.eval();
  const CapturedAttention got = capture_all(m);
  const std::vector<int64_t> lengths = {5, 3};
  auto check = [&](const Tensor& w, bool causal, bool source_keys) {  // w [B, H, Tq, Tk]
    const Shape& s = w.shape();
    const float* p = w.data<float>();
    for (int64_t b = 0; b < s[0]; ++b)
      for (int64_t h = 0; h < s[1]; ++h)
        for (int64_t i = 0; i < s[2]; ++i) {
          double sum = 0;
          for (int64_t j = 0; j < s[3]; ++j) {
            const float v = p[((b * s[1] + h) * s[2] + i) * s[3] + j];
            const bool masked = (causal && j > i) || (source_keys && j >= lengths[b]);
            if (masked) {
              EXPECT_EQ(v, 0.0f) << "b " << b << " h " << h << " i " << i << " j " << j;
            }
            sum += v;
          }
          EXPECT_NEAR(sum, 1.0, 1e-5);
        }
  };
  for (const Tensor& w : got.encoder_self) check(w, false, true);
  for (const Tensor& w : got.decoder_self) check(w, true, false);
  for (const Tensor& w : got.cross) check(w, false, true);
  EXPECT_EQ(got.decoder_self[0].shape(), Shape({2, kHeads, 4, 4}));
  EXPECT_EQ(got.cross[2].shape(), Shape({2, kHeads, 4, 5}));
}

TEST(TransformerCapture, SubsetsAreSlicesOfTheFullCapture) {
  Transformer m(options());
  m.eval();
  const CapturedAttention full = capture_all(m);
  AttentionCapture some;
  some.decoder_self = {.layers = {0, 2}, .heads = {1, 3}};
  some.cross = {.layers = {1}, .heads = {3, 4}};
  NoGradGuard no_grad;
  const TransformerOutput out = m.forward(kSrc, kLengths, kTgtIn, some);
  EXPECT_TRUE(out.captured.encoder_self.empty());
  ASSERT_EQ(out.captured.decoder_self.size(), 2u);
  ASSERT_EQ(out.captured.cross.size(), 1u);
  EXPECT_TRUE(all_close(out.captured.decoder_self[0], full.decoder_self[0].narrow(1, 1, 2)));
  EXPECT_TRUE(all_close(out.captured.decoder_self[1], full.decoder_self[2].narrow(1, 1, 2)));
  EXPECT_TRUE(all_close(out.captured.cross[0], full.cross[1].narrow(1, 3, 1)));
  // The averaged attention and the logits do not depend on what is captured.
  const TransformerOutput plain = m.forward(kSrc, kLengths, kTgtIn);
  EXPECT_TRUE(plain.captured.empty());
  EXPECT_TRUE(bitwise_equal(plain.logits.value(), out.logits.value()));
  EXPECT_TRUE(bitwise_equal(plain.attention.value(), out.attention.value()));
}

TEST(TransformerCapture, StepsGiveTheTeacherForcedRows) {
  Transformer m(options());
  m.eval();
  const CapturedAttention full = capture_all(m);
  NoGradGuard no_grad;
  TransformerState state = m.start(kSrc, kLengths, everything(m));
  ASSERT_EQ(state.encoder_captured.size(), 2u);
  for (size_t l = 0; l < 2; ++l) EXPECT_TRUE(all_close(state.encoder_captured[l], full.encoder_self[l], 1e-6, 1e-5));
  for (int64_t t = 0; t < 4; ++t) {
    const TransformerStepOutput st = m.step(state, kTgtIn.narrow(1, t, 1).contiguous().reshape({2}));
    ASSERT_EQ(st.captured.decoder_self.size(), 3u);
    for (size_t l = 0; l < 3; ++l) {
      EXPECT_EQ(st.captured.decoder_self[l].shape(), Shape({2, kHeads, 1, t + 1}));
      const Tensor want_self = full.decoder_self[l].narrow(2, t, 1).narrow(3, 0, t + 1);  // [B, H, 1, t + 1]
      EXPECT_TRUE(all_close(st.captured.decoder_self[l], want_self.contiguous(), 1e-5, 1e-5)) << "t " << t;
      EXPECT_TRUE(all_close(st.captured.cross[l], full.cross[l].narrow(2, t, 1).contiguous(), 1e-5, 1e-5));
    }
  }
}

TEST(TransformerCapture, BadRequestsNameTheLimits) {
  Transformer m(options());
  AttentionCapture c;
  c.cross = {.layers = {7}, .heads = {0, 4}};
  EXPECT_THAT(error_of([&] { m.forward(kSrc, kLengths, kTgtIn, c); }),
              HasSubstr("Transformer: capture of cross layer 7: the model has 3 layers (0..2)"));
  c.cross = {};
  c.encoder_self = {.layers = {0}, .heads = {2, 5}};
  EXPECT_THAT(error_of([&] { m.start(kSrc, kLengths, c); }),
              HasSubstr("Transformer: capture of encoder-self heads [2, 5): the attention has 4 heads (0..3)"));
  c.encoder_self = {.layers = {1, 0}, .heads = {0, 1}};
  EXPECT_THAT(error_of([&] { m.start(kSrc, kLengths, c); }), HasSubstr("layers must be increasing"));
  c.encoder_self = {};
  c.rnn = {.layers = {0}, .heads = {0, 1}};
  EXPECT_THAT(error_of([&] { m.forward(kSrc, kLengths, kTgtIn, c); }),
              HasSubstr("Transformer: capture of rnn attention: the model has none"));
}

}  // namespace
}  // namespace attend::nn
