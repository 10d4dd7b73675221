// Model adapters: the RNN-attention Seq2Seq (nn/rnn/seq2seq.hpp) and the Transformer (nn/transformer/transformer.hpp)
// seen through the one DecodingModel interface (decoder_state.hpp) that greedy and beam search drive (search.hpp).
//
// Seq2Seq:     start = Seq2Seq::init, step = Seq2Seq::step, reorder = Seq2Seq::reorder.
// Transformer: start = Transformer::start, step = Transformer::step (incremental, cached keys and values),
//              reorder = TransformerState::reorder.
// Every call runs under a NoGradGuard with the model in evaluation mode (dropout off); the model's training mode is
// restored when the call returns. Outputs: log_probs f32 [N, V] (log-softmax of the logits), attention f32 [N, Ts]
// (Seq2Seq: the decoder's α_t; Transformer: the last decoder layer's cross-attention averaged over heads); padded
// source positions get weight 0.
// start_capturing: Transformer::start with the capture (encoder_self kept by the state, decoder_self and cross
// returned by every step as [N, h, T] and [N, h, Ts]); Seq2Seq: kind rnn only, 1 layer, 1 head ([N, 1, Ts], α_t).
// An adapter holds a reference to the model, and a state a reference to both: the model must outlive them.
//
// Usage:
//   auto model = decode::decoding_model(seq2seq);
//   auto state = model->start(src, src_lengths);                     // B rows
//   decode::StepOutput out = state->step(Tensor::full({B}, 2, DType::i64));   // out.log_probs [B, V]
#pragma once

#include <memory>

#include "attend/decode/decoder_state.hpp"
#include "attend/nn/rnn/seq2seq.hpp"
#include "attend/nn/transformer/transformer.hpp"

namespace attend::decode {

/// Adapter over Seq2Seq::init/step/reorder.
std::unique_ptr<DecodingModel> decoding_model(nn::Seq2Seq& model);
/// Adapter over Transformer::start/step and TransformerState::reorder.
std::unique_ptr<DecodingModel> decoding_model(nn::Transformer& model);

}  // namespace attend::decode
