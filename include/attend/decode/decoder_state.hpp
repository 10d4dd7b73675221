// DecodingModel and DecoderState: the one interface greedy and beam search drive, implemented by the RNN-attention
// Seq2Seq and by the Transformer (decode/model_adapters.hpp), so search code never knows which model it runs.
//
// start() encodes a batch of sources once; each step() feeds the previous token of every row (BOS first) and returns
// the log-probabilities of the next token and the attention over the source; reorder() keeps rows in a given order
// (repeats allowed): beam search expands each source to K rows and follows the surviving hypotheses.
// Shapes: src i64 [B, Ts], src_lengths i64 [B] (undefined: all Ts); with N rows in the state, prev_tokens i64 [N]
// -> log_probs f32 [N, V], attention f32 [N, Ts]. Decoding runs without gradients (callers hold a NoGradGuard).
// Capture (interpretability, nn/attention/capture.hpp): start_capturing() starts a state that also returns, at every
// step, the selected layers and heads of the new token's attention (StepOutput::captured: decoder_self [N, h, T]
// with T the tokens fed so far, cross and rnn [N, h, Ts]) and, once, the encoder's self-attention of the B sources
// (encoder_attention(): [B, h, Ts, Ts] per layer). Without a capture nothing more is computed.
//
// Usage:
//   auto model = decoding_model(seq2seq);                   // or decoding_model(transformer)
//   auto state = model->start(src, src_lengths);            // N = B rows
//   StepOutput out = state->step(bos);                      // out.log_probs [B, V]
//   state->reorder(Tensor::from_vector<int64_t>({0, 0, 1, 1}, {4}));   // two beams per source
#pragma once

#include <memory>
#include <vector>

#include "attend/nn/attention/capture.hpp"
#include "attend/tensor/tensor.hpp"

namespace attend::decode {

struct StepOutput {
  Tensor log_probs;  ///< f32 [N, V]
  Tensor attention;  ///< f32 [N, Ts]
  nn::CapturedAttention captured = {};  ///< the state's capture: per selected layer decoder_self, cross, rnn
};

class DecoderState {
 public:
  virtual ~DecoderState() = default;
  /// prev_tokens i64 [N] -> next-token log-probabilities and attention; advances the state by one token.
  virtual StepOutput step(const Tensor& prev_tokens) = 0;
  /// Keeps rows `index` (i64 [N'], values in [0, N)) in that order.
  virtual void reorder(const Tensor& index) = 0;
  /// Rows currently held (N).
  virtual int64_t rows() const = 0;
  /// Encoder self-attention captured by start_capturing(), [B, h, Ts, Ts] per selected layer (B: start()'s rows,
  /// never reordered); empty by default.
  virtual std::vector<Tensor> encoder_attention() const { return {}; }
};

class DecodingModel {
 public:
  virtual ~DecodingModel() = default;
  /// Encodes src i64 [B, Ts] with src_lengths i64 [B] (or undefined) -> a state with B rows.
  virtual std::unique_ptr<DecoderState> start(const Tensor& src, const Tensor& src_lengths) = 0;
  /// start() with a capture request (see the file comment). The default: start() for an empty request, else an
  /// error saying the model captures nothing. Throws naming the limits when the request asks for a kind, layer or
  /// head the model does not have.
  virtual std::unique_ptr<DecoderState> start_capturing(const Tensor& src, const Tensor& src_lengths,
                                                        const nn::AttentionCapture& capture);
  /// Target vocabulary size V.
  virtual int64_t vocab_size() const = 0;
};

}  // namespace attend::decode
