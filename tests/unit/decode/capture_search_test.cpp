// Attention capture through greedy and beam search: every hypothesis (and n-best entry) keeps the selected layers and
// heads row by row, equal to a teacher-forced scoring of the same hypothesis; the RNN-attention model's one kind;
// shapes of subsets; requests the model cannot serve name the limits; no request keeps nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "attend/autograd/var.hpp"
#include "attend/decode/model_adapters.hpp"
#include "attend/decode/search.hpp"
#include "test_util.hpp"

namespace attend::decode {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

Tensor ids(const std::vector<int64_t>& v, const Shape& shape) { return Tensor::from_vector<int64_t>(v, shape); }

// Two sources of lengths 5 and 3 (pad 0).
const Tensor kSrc = ids({4, 5, 6, 7, 8, 9, 4, 5, 0, 0}, {2, 5});
const Tensor kLengths = ids({5, 3}, {2});

nn::TransformerOptions transformer_options() {
  return {.src_vocab = 11, .tgt_vocab = 9, .d_model = 16, .nhead = 4, .num_encoder_layers = 2,
          .num_decoder_layers = 2, .dim_feedforward = 24, .dropout = 0.1, .seed = 7};
}

nn::AttentionCapture everything() {
  nn::AttentionCapture c;
  c.encoder_self = {.layers = {0, 1}, .heads = {0, 4}};
  c.decoder_self = {.layers = {0, 1}, .heads = {0, 4}};
  c.cross = {.layers = {0, 1}, .heads = {0, 4}};
  return c;
}

SearchOptions capturing(int64_t beam, int64_t nbest, nn::AttentionCapture capture) {
  SearchOptions o;
  o.beam_size = beam;
  o.nbest = nbest;
  o.max_length_offset = 2;  // short hypotheses, some cut at the length limit
  o.capture = std::move(capture);
  return o;
}

// Teacher-forces hypothesis h of source i (BOS, then its tokens; EOS fed nowhere) and compares every kind and layer.
void expect_equals_teacher_forcing(nn::Transformer& m, int64_t i, const Hypothesis& h) {
  const int64_t len = kLengths.to_vector<int64_t>()[static_cast<size_t>(i)];
  const int64_t T = static_cast<int64_t>(h.tokens.size()) + (h.finished ? 1 : 0);
  std::vector<int64_t> in = {2};
  in.insert(in.end(), h.tokens.begin(), h.tokens.begin() + (T - 1));
  NoGradGuard no_grad;
  const Tensor src = kSrc.select(0, i).narrow(0, 0, len).contiguous().reshape({1, len});
  const nn::TransformerOutput tf = m.forward(src, Tensor(), ids(in, {1, T}), everything());
  for (nn::CaptureKind kind : nn::kCaptureKinds) {
    ASSERT_EQ(h.captured.of(kind).size(), tf.captured.of(kind).size()) << nn::capture_kind_name(kind);
    for (size_t l = 0; l < h.captured.of(kind).size(); ++l) {
      const Tensor want = tf.captured.of(kind)[l].select(0, 0).contiguous();  // [h, T, K]
      EXPECT_TRUE(all_close(h.captured.of(kind)[l], want, 1e-5, 1e-5))
          << nn::capture_kind_name(kind) << " layer " << l << ", source " << i << ", " << T << " tokens";
    }
  }
}

TEST(CaptureSearch, BeamHypothesesEqualTeacherForcingOfTheSameOutput) {
  nn::Transformer m(transformer_options());
  auto model = decoding_model(m);
  const auto results = beam_search(*model, kSrc, kLengths, capturing(3, 3, everything()));
  m.eval();
  int checked = 0;
  for (int64_t i = 0; i < 2; ++i) {
    ASSERT_EQ(results[static_cast<size_t>(i)].size(), 3u);
    for (const Hypothesis& h : results[static_cast<size_t>(i)]) {
      expect_equals_teacher_forcing(m, i, h);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6);
}

TEST(CaptureSearch, GreedyEqualsTeacherForcingAndDecoderSelfIsCausal) {
  nn::Transformer m(transformer_options());
  auto model = decoding_model(m);
  const auto results = greedy_search(*model, kSrc, kLengths, capturing(1, 1, everything()));
  m.eval();
  for (int64_t i = 0; i < 2; ++i) {
    const Hypothesis& h = results[static_cast<size_t>(i)].front();
    expect_equals_teacher_forcing(m, i, h);
    const Tensor self = h.captured.decoder_self[1];  // [H, T, T]
    const int64_t T = self.size(1);
    for (int64_t head = 0; head < 4; ++head)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t j = t + 1; j < T; ++j) EXPECT_EQ(self.data<float>()[(head * T + t) * T + j], 0.0f);
    // The averaged attention search always keeps is unchanged by the capture.
    const auto plain = greedy_search(*model, kSrc, kLengths, capturing(1, 1, {}));
    EXPECT_TRUE(all_close(plain[static_cast<size_t>(i)].front().attention, h.attention, 0, 0));
    EXPECT_TRUE(plain[static_cast<size_t>(i)].front().captured.empty());
  }
}

TEST(CaptureSearch, SubsetsHaveTheirShapes) {
  nn::Transformer m(transformer_options());
  auto model = decoding_model(m);
  nn::AttentionCapture some;
  some.encoder_self = {.layers = {1}, .heads = {2, 4}};
  some.cross = {.layers = {0}, .heads = {1, 2}};
  const auto results = beam_search(*model, kSrc, kLengths, capturing(2, 2, some));
  for (int64_t i = 0; i < 2; ++i) {
    const int64_t len = kLengths.to_vector<int64_t>()[static_cast<size_t>(i)];
    for (const Hypothesis& h : results[static_cast<size_t>(i)]) {
      const int64_t T = h.attention.size(0);
      ASSERT_EQ(h.captured.encoder_self.size(), 1u);
      EXPECT_EQ(h.captured.encoder_self[0].shape(), Shape({2, len, len}));
      EXPECT_TRUE(h.captured.decoder_self.empty());
      ASSERT_EQ(h.captured.cross.size(), 1u);
      EXPECT_EQ(h.captured.cross[0].shape(), Shape({1, T, len}));
    }
  }
}

TEST(CaptureSearch, RnnAttentionModelCapturesItsOneKind) {
  nn::Seq2Seq m({.src_vocab_size = 11, .tgt_vocab_size = 9, .embedding_dim = 4, .hidden_size = 6,
                 .encoder_hidden = 5, .seed = 3});
  auto model = decoding_model(m);
  nn::AttentionCapture rnn;
  rnn.rnn = {.layers = {0}, .heads = {0, 1}};
  const auto results = beam_search(*model, kSrc, kLengths, capturing(2, 2, rnn));
  for (const auto& list : results) {
    for (const Hypothesis& h : list) {
      ASSERT_EQ(h.captured.rnn.size(), 1u);
      EXPECT_TRUE(all_close(h.captured.rnn[0], h.attention.reshape({1, h.attention.size(0), h.attention.size(1)}),
                            0, 0));
    }
  }
  nn::AttentionCapture cross;
  cross.cross = {.layers = {0}, .heads = {0, 1}};
  EXPECT_THAT(error_of([&] { greedy_search(*model, kSrc, kLengths, capturing(1, 1, cross)); }),
              HasSubstr("rnn-attention model: capture of cross attention: the model has none"));
  rnn.rnn.heads = {0, 2};
  EXPECT_THAT(error_of([&] { greedy_search(*model, kSrc, kLengths, capturing(1, 1, rnn)); }),
              HasSubstr("rnn-attention model: capture of rnn heads [0, 2): the attention has 1 head (0..0)"));
}

TEST(CaptureSearch, OutOfRangeLayerNamesTheLimit) {
  nn::Transformer m(transformer_options());
  auto model = decoding_model(m);
  nn::AttentionCapture c;
  c.decoder_self = {.layers = {0, 6}, .heads = {0, 4}};
  EXPECT_THAT(error_of([&] { beam_search(*model, kSrc, kLengths, capturing(2, 1, c)); }),
              HasSubstr("Transformer: capture of decoder-self layer 6: the model has 2 layers (0..1)"));
}

}  // namespace
}  // namespace attend::decode
