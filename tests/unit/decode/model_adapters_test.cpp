// The Seq2Seq and Transformer adapters: a step equals the teacher-forced forward on the same prefix, reorder follows
// the rows, and decoding runs without gradients in evaluation mode.
#include "attend/decode/model_adapters.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/ops/softmax.hpp"
#include "attend/tensor/indexing.hpp"
#include "attend/tensor/reduce.hpp"
#include "test_util.hpp"

namespace attend::decode {
namespace {

using attend::testing::all_close;
using attend::testing::error_of;
using ::testing::HasSubstr;

Tensor ids(const std::vector<int64_t>& v, const Shape& shape) { return Tensor::from_vector<int64_t>(v, shape); }

// Three sources of lengths 4, 2, 3 (pad 0) and teacher-forcing inputs of 4 tokens starting with BOS = 2.
const Tensor kSrc = ids({4, 5, 6, 7, 8, 4, 0, 0, 5, 6, 7, 0}, {3, 4});
const Tensor kLengths = ids({4, 2, 3}, {3});
const Tensor kTgtIn = ids({2, 4, 5, 6, 2, 6, 6, 3, 2, 5, 4, 4}, {3, 4});

nn::Seq2SeqOptions seq2seq_options() {
  return {.src_vocab_size = 9, .tgt_vocab_size = 7, .embedding_dim = 4, .hidden_size = 6, .encoder_hidden = 5,
          .input_feeding = true, .seed = 11};
}

nn::TransformerOptions transformer_options() {
  return {.src_vocab = 9, .tgt_vocab = 7, .d_model = 8, .nhead = 2, .num_encoder_layers = 1,
          .num_decoder_layers = 1, .dim_feedforward = 16, .dropout = 0.3, .seed = 12};
}

// Feeds tgt_in column by column and compares with the teacher-forced log-probabilities and attention.
void expect_steps_match(DecodingModel& model, const Tensor& log_probs, const Tensor& attention) {
  EXPECT_EQ(model.vocab_size(), 7);
  auto state = model.start(kSrc, kLengths);
  EXPECT_EQ(state->rows(), 3);
  for (int64_t t = 0; t < kTgtIn.size(1); ++t) {
    const StepOutput out = state->step(kTgtIn.select(1, t).contiguous());
    EXPECT_TRUE(all_close(out.log_probs, log_probs.select(1, t), 1e-5, 1e-5)) << "t " << t;
    EXPECT_TRUE(all_close(out.attention, attention.select(1, t), 1e-5, 1e-5)) << "t " << t;
    EXPECT_TRUE(all_close(sum(out.attention, {1}), Tensor::ones({3}), 1e-5));
    EXPECT_EQ(out.attention.at({1, 2}), 0.0);  // source 1 has 2 positions
    EXPECT_EQ(out.attention.at({1, 3}), 0.0);
  }
}

TEST(ModelAdapters, Seq2SeqStepsEqualTeacherForcing) {
  nn::Seq2Seq model(seq2seq_options());
  const nn::Seq2SeqOutput all = model.forward(kSrc, kLengths, kTgtIn);
  auto adapter = decoding_model(model);
  expect_steps_match(*adapter, log_softmax(all.logits, -1).value(), all.attention.value());
}

TEST(ModelAdapters, TransformerStepsEqualTeacherForcingInEvalMode) {
  nn::Transformer model(transformer_options());  // dropout 0.3, in training mode
  model.eval();
  const nn::TransformerOutput all = model.forward(kSrc, kLengths, kTgtIn);
  model.train();
  auto adapter = decoding_model(model);
  expect_steps_match(*adapter, log_softmax(all.logits, -1).value(), all.attention.value());
  EXPECT_TRUE(model.is_training());  // restored after every call
}

// Two steps, then rows {2, 0, 0}: the third step must equal the un-reordered third step's rows {2, 0, 0}.
void expect_reorder_follows_rows(DecodingModel& model) {
  const Tensor pick = ids({2, 0, 0}, {3});
  auto plain = model.start(kSrc, kLengths);
  auto moved = model.start(kSrc, kLengths);
  for (int64_t t = 0; t < 2; ++t) {
    plain->step(kTgtIn.select(1, t).contiguous());
    moved->step(kTgtIn.select(1, t).contiguous());
  }
  moved->reorder(pick);
  EXPECT_EQ(moved->rows(), 3);
  const Tensor third = kTgtIn.select(1, 2).contiguous();
  const StepOutput a = plain->step(third);
  const StepOutput b = moved->step(index_select(third, 0, pick));
  EXPECT_TRUE(all_close(b.log_probs, index_select(a.log_probs, 0, pick), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(b.attention, index_select(a.attention, 0, pick), 1e-6, 1e-6));
  EXPECT_EQ(b.attention.at({0, 3}), 0.0);  // row 0 is source 2 now (length 3): its lengths moved too
  moved->reorder(ids({1}, {1}));
  EXPECT_EQ(moved->rows(), 1);
  EXPECT_EQ(moved->step(ids({4}, {1})).log_probs.shape(), (Shape{1, 7}));
  EXPECT_THAT(error_of([&] { moved->reorder(Tensor::zeros({1})); }), HasSubstr("reorder: index must be i64 [N']"));
}

TEST(ModelAdapters, ReorderDuplicatesAndDropsRows) {
  nn::Seq2Seq seq2seq(seq2seq_options());
  nn::Transformer transformer(transformer_options());
  {
    SCOPED_TRACE("seq2seq");
    expect_reorder_follows_rows(*decoding_model(seq2seq));
  }
  {
    SCOPED_TRACE("transformer");
    expect_reorder_follows_rows(*decoding_model(transformer));
  }
}

TEST(ModelAdapters, DecodingRecordsNoGraph) {
  nn::Seq2Seq model(seq2seq_options());
  auto adapter = decoding_model(model);
  auto state = adapter->start(kSrc, kLengths);
  state->step(kTgtIn.select(1, 0).contiguous());
  EXPECT_TRUE(grad_enabled());  // the guard ends with the call
  for (const Var& p : model.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(ModelAdapters, BadInputNamesTheModel) {
  nn::Seq2Seq model(seq2seq_options());
  auto adapter = decoding_model(model);
  auto state = adapter->start(kSrc, kLengths);
  EXPECT_THAT(error_of([&] { state->step(ids({2, 2}, {2})); }), HasSubstr("prev_tokens must be [B] = [3]"));
  nn::Transformer transformer(transformer_options());
  auto t_state = decoding_model(transformer)->start(kSrc, kLengths);
  EXPECT_THAT(error_of([&] { t_state->step(ids({2, 2}, {2})); }), HasSubstr("Transformer::step: prev_tokens"));
  EXPECT_TRUE(transformer.is_training());  // restored on the error path too
}

}  // namespace
}  // namespace attend::decode
