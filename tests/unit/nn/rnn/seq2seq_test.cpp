#include "attend/nn/rnn/seq2seq.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/ops/loss.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"
#include "attend/optim/adam.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

Tensor ids(std::vector<int64_t> v, Shape shape) { return Tensor::from_vector<int64_t>(v, shape); }

Seq2SeqOptions small(CellKind cell = CellKind::gru) {
  return {.src_vocab_size = 9, .tgt_vocab_size = 7, .embedding_dim = 4, .hidden_size = 6, .encoder_hidden = 5,
          .cell = cell, .seed = 4};
}

// A batch of 3: source lengths 4, 2, 3 (padding id 0), target inputs of 5 tokens starting with BOS = 1.
const Tensor kSrc = ids({2, 3, 4, 5, 6, 7, 0, 0, 8, 2, 3, 0}, {3, 4});
const Tensor kSrcLengths = ids({4, 2, 3}, {3});
const Tensor kTgtIn = ids({1, 2, 3, 4, 5, 1, 6, 6, 2, 0, 1, 5, 4, 3, 2}, {3, 5});

TEST(Seq2Seq, ParameterNamesNameThePart) {
  Seq2Seq model(small());
  std::vector<std::string> names;
  for (const auto& [name, p] : model.named_parameters()) names.push_back(name);
  EXPECT_THAT(names, ::testing::Contains("encoder.embedding.weight"));
  EXPECT_THAT(names, ::testing::Contains("encoder.rnn.weight_hh_l0_reverse"));
  EXPECT_THAT(names, ::testing::Contains("bridge.linear_h.weight"));
  EXPECT_THAT(names, ::testing::Contains("tgt_embedding.weight"));
  EXPECT_THAT(names, ::testing::Contains("decoder.cell.weight_ih"));
  EXPECT_THAT(names, ::testing::Contains("decoder.attn.linear_context.weight"));
  EXPECT_THAT(names, ::testing::Contains("decoder.linear_y.bias"));
  const auto state = model.state_dict();
  EXPECT_EQ(state.at("decoder.cell.weight_ih").shape(), (Shape{18, 4 + 10}));  // [x; context], context 2·5
  EXPECT_EQ(state.at("bridge.linear_h.weight").shape(), (Shape{6, 10}));
  EXPECT_EQ(state.at("decoder.linear_y.weight").shape(), (Shape{7, 6}));
}

TEST(Seq2Seq, TeacherForcedShapesAndMaskedAttention) {
  Seq2Seq model(small());
  const Seq2SeqOutput out = model.forward(kSrc, kSrcLengths, kTgtIn);
  EXPECT_EQ(out.logits.shape(), (Shape{3, 5, 7}));
  EXPECT_EQ(out.attention.shape(), (Shape{3, 5, 4}));
  EXPECT_FALSE(out.coverage_loss.defined());
  EXPECT_TRUE(all_close(sum(out.attention.value(), {2}), Tensor::ones({3, 5}), 1e-6));
  EXPECT_TRUE(all_close(out.attention.value().select(0, 1).narrow(1, 2, 2), Tensor::zeros({5, 2}), 0.0));
}

TEST(Seq2Seq, StepByStepEqualsTeacherForcing) {
  std::vector<Seq2SeqOptions> configs = {small(), small(CellKind::lstm), small(CellKind::rnn_tanh)};
  configs[1].placement = AttentionPlacement::luong;
  configs[1].input_feeding = true;
  configs[1].scorer = scorer_of(ScoreKind::general);
  configs[2].coverage = true;
  configs[2].fusion = AttentionFusion::gate;
  configs[2].encoder_layers = 2;
  for (size_t k = 0; k < configs.size(); ++k) {
    SCOPED_TRACE("config " + std::to_string(k));
    Seq2Seq model(configs[k]);
    const Seq2SeqOutput all = model.forward(kSrc, kSrcLengths, kTgtIn);
    const Tensor log_probs = log_softmax(all.logits, -1).value();
    Seq2SeqState s = model.init(kSrc, kSrcLengths);
    for (int64_t t = 0; t < 5; ++t) {
      const Seq2SeqStep st = model.step(s, kTgtIn.select(1, t).contiguous());
      EXPECT_TRUE(all_close(st.log_probs.value(), log_probs.select(1, t), 1e-6, 0.0)) << "t " << t;
      EXPECT_TRUE(all_close(st.attention.value(), all.attention.value().select(1, t), 1e-6, 0.0)) << "t " << t;
      s = st.state;
    }
  }
}

TEST(Seq2Seq, ReorderExpandsAndFollowsBeams) {
  Seq2Seq model(small(CellKind::lstm));
  const Seq2SeqState s = model.init(kSrc, kSrcLengths);
  const Seq2SeqStep first = model.step(s, ids({1, 1, 1}, {3}));
  // Expand to 2 beams per source (as beam search does), then take one step with different tokens per beam.
  const Tensor expand = ids({0, 0, 1, 1, 2, 2}, {6});
  const Seq2SeqState beams = Seq2Seq::reorder(first.state, expand);
  EXPECT_EQ(beams.memory.memory.shape(), (Shape{6, 4, 10}));
  EXPECT_EQ(beams.decoder.cell.c.shape(), (Shape{6, 6}));
  const Seq2SeqStep next = model.step(beams, ids({2, 3, 4, 5, 6, 2}, {6}));
  // Beam 3 (source 1, token 5) equals source 1 stepped alone with token 5.
  const Seq2SeqStep direct = model.step(first.state, ids({2, 5, 6}, {3}));
  EXPECT_TRUE(all_close(next.log_probs.value().select(0, 3), direct.log_probs.value().select(0, 1), 1e-6));
  EXPECT_TRUE(all_close(next.attention.value().select(0, 3), direct.attention.value().select(0, 1), 1e-6));
  EXPECT_TRUE(all_close(next.log_probs.value().select(0, 4), direct.log_probs.value().select(0, 2), 1e-6));
}

TEST(Seq2Seq, CopyBridgeNeedsMatchingSizes) {
  Seq2SeqOptions o = small();
  o.bridge = BridgeKind::copy;
  EXPECT_THAT(error_of([&] { Seq2Seq m(o); }), HasSubstr("copy needs the encoder's final state width"));
  o.encoder_hidden = 3;  // bidirectional: 2 · 3 = hidden_size 6
  Seq2Seq model(o);
  const Seq2SeqOutput out = model.forward(kSrc, kSrcLengths, kTgtIn);
  EXPECT_EQ(out.logits.shape(), (Shape{3, 5, 7}));
}

TEST(Seq2Seq, CoverageLossComesOutPerStep) {
  Seq2SeqOptions o = small();
  o.coverage = true;
  Seq2Seq model(o);
  const Seq2SeqOutput out = model.forward(kSrc, kSrcLengths, kTgtIn);
  ASSERT_TRUE(out.coverage_loss.defined());
  EXPECT_EQ(out.coverage_loss.shape(), (Shape{3, 5}));
  EXPECT_TRUE(all_close(out.coverage_loss.value().select(1, 0), Tensor::zeros({3}), 0.0));
}

TEST(Seq2Seq, AdamReducesTheLossOnAFixedBatch) {
  Seq2Seq model(small());
  optim::Adam adam(model.parameters(), {.lr = 1e-2});
  const Tensor tgt_out = ids({2, 3, 4, 5, 2, 6, 6, 2, 0, 0, 5, 4, 3, 2, 2}, {3, 5});
  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    adam.zero_grad();
    const Var loss = cross_entropy(model.forward(kSrc, kSrcLengths, kTgtIn).logits, tgt_out, {.ignore_index = 0});
    loss.backward();
    adam.step();
    (step == 0 ? first : last) = loss.value().item<float>();
  }
  EXPECT_LT(last, 0.3 * first);
}

TEST(Seq2Seq, ErrorsNameTheArgumentAndShapes) {
  Seq2Seq model(small());
  EXPECT_THAT(error_of([&] { model.forward(kSrc, kSrcLengths, ids({1, 2}, {1, 2})); }),
              HasSubstr("tgt_in must be [B, Tt] with the batch of src (B = 3) and Tt ≥ 1; tgt_in shape [1, 2], src "
                        "shape [3, 4]"));
  EXPECT_THAT(error_of([&] { model.forward(kSrc, kSrcLengths, Tensor::zeros({3, 5})); }),
              HasSubstr("tgt_in must be i64 [B, Tt], got f32 with shape [3, 5]"));
  EXPECT_THAT(error_of([&] { model.forward(kSrc, ids({4, 5, 3}, {3}), kTgtIn); }),
              HasSubstr("src_lengths[1] = 5 is outside [1, Ts = 4]"));
  const Seq2SeqState s = model.init(kSrc, kSrcLengths);
  EXPECT_THAT(error_of([&] { model.step(s, ids({1, 1}, {2})); }),
              HasSubstr("prev_tokens must be [B] = [3] (the state's batch), got shape [2]"));
  EXPECT_THAT(error_of([&] { model.step(s, ids({1, 1, 1}, {3, 1})); }),
              HasSubstr("prev_tokens must be i64 [B], got i64 with shape [3, 1]"));
  EXPECT_THAT(error_of([] {
                Seq2SeqOptions o = small();
                o.tgt_vocab_size = 0;
                Seq2Seq m(o);
              }),
              HasSubstr("Seq2Seq: tgt_vocab_size must be positive, got 0"));
}

}  // namespace
}  // namespace attend::nn
