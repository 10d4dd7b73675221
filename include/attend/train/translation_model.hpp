// TranslationModel: the one face the trainer, the evaluator and the translator see of a sequence-to-sequence model,
// whichever architecture the config names: "rnn-attention" (nn::Seq2Seq: RNN encoder, bridge, attention decoder) or
// "transformer" (nn::Transformer).
//
// forward() is teacher forcing on a data::Batch: logits [B, Tt, V] (compared with batch.tgt_out by the loss), the
// attention over the source [B, Tt, Ts] (RNN: the decoder's weights; Transformer: the last decoder layer's
// cross-attention averaged over heads) and, with coverage, the coverage loss per step [B, Tt]; given a capture request
// (nn/attention/capture.hpp) also the selected layers and heads of the attention, for scoring a given output.
// decoding() gives the step interface of greedy and beam search (decode/decoder_state.hpp).
//
// Usage:
//   auto model = TranslationModel::create(config.model, src_vocab.size(), tgt_vocab.size(), /*seed*/ 1);
//   ModelOutput out = model->forward(batch);                      // out.logits [B, Tt, V]
//   auto hyps = decode::search(*model->decoding(), batch.src, batch.src_lengths, {.beam_size = 4});
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attend/autograd/var.hpp"
#include "attend/data/batch.hpp"
#include "attend/decode/decoder_state.hpp"
#include "attend/nn/attention/capture.hpp"
#include "attend/nn/module.hpp"
#include "attend/train/config.hpp"

namespace attend::train {

struct ModelOutput {
  Var logits;         ///< [B, Tt, V]
  Var attention;      ///< [B, Tt, Ts]
  Var coverage_loss;  ///< [B, Tt] (rnn-attention with coverage only)
  /// The weights the capture asked for (nn/attention/capture.hpp), per selected layer: Transformer encoder_self
  /// [B, h, Ts, Ts], decoder_self [B, h, Tt, Tt], cross [B, h, Tt, Ts]; RNN rnn [B, 1, Tt, Ts].
  nn::CapturedAttention captured = {};
};

class TranslationModel {
 public:
  virtual ~TranslationModel() = default;
  /// Builds the architecture of config.type with vocabulary sizes Vs, Vt (>= 4: the specials) and parameters
  /// initialised from `seed`. Throws naming the option when the config is invalid (validate() first).
  static std::unique_ptr<TranslationModel> create(const ModelConfig& config, int64_t src_vocab, int64_t tgt_vocab,
                                                  uint64_t seed);

  virtual nn::Module& module() = 0;
  /// Teacher-forced forward on batch.src, batch.src_lengths, batch.tgt_in.
  ModelOutput forward(const data::Batch& batch) { return forward(batch, {}); }
  /// The same, also keeping the attention weights `capture` selects (scoring a given output for explanation).
  /// Throws naming the limits when it asks for a kind, layer or head the model does not have (an RNN-attention
  /// model has kind rnn, 1 layer, 1 head).
  virtual ModelOutput forward(const data::Batch& batch, const nn::AttentionCapture& capture) = 0;
  /// The attention layers of `kind` (0: the model has no such kind) and the heads of each.
  virtual int64_t attention_layers(nn::CaptureKind kind) const = 0;
  virtual int64_t attention_heads() const = 0;
  /// The step interface for greedy and beam search; valid while this model lives.
  virtual std::unique_ptr<decode::DecodingModel> decoding() = 0;
  /// One line: "rnn-attention: bidirectional gru encoder (1 layer, 128), additive attention, bahdanau, concat".
  virtual std::string describe() const = 0;
  /// Trainable scalars.
  int64_t parameter_count();
};

}  // namespace attend::train
