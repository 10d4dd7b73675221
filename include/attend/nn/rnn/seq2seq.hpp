// Seq2Seq: the RNN encoder-decoder with attention (Bahdanau et al. 2015; Luong et al. 2015): Encoder, Bridge, a
// target embedding and an AttentionDecoder, with a teacher-forced forward for training and a step API for greedy
// and beam search.
//
//   memory, h_n = encoder(src, src_lengths)            memory [B, Ts, D·He]
//   s_0 = bridge(h_n, c_n)                             [B, H]
//   logits, α = decoder(embed(tgt_in), memory, s_0)    logits [B, Tt, V], α [B, Tt, Ts]
//
// Parameters: encoder.embedding.weight, encoder.rnn.* (PyTorch's RNN names), bridge.linear_h.* (bridge linear),
// tgt_embedding.weight, decoder.* (attention_decoder.hpp: decoder.cell.weight_ih, decoder.attn.*, decoder.linear_y.*).
// Step API: init(src, src_lengths) encodes once; step(state, prev_tokens) runs one decoder step and returns
// log-probabilities; reorder(state, indices) picks batch entries (expand each source to K beams, follow survivors).
//
// Usage:
//   Seq2Seq model({.src_vocab_size = 12, .tgt_vocab_size = 12, .embedding_dim = 32, .hidden_size = 64});
//   Seq2SeqOutput out = model.forward(src, src_lengths, tgt_in);        // out.logits [B, Tt, 12]
//   Seq2SeqState s = model.init(src, src_lengths);  Seq2SeqStep st = model.step(s, bos);   // st.log_probs [B, 12]
#pragma once

#include <cstdint>
#include <memory>

#include "attend/nn/embedding.hpp"
#include "attend/nn/module.hpp"
#include "attend/nn/rnn/attention_decoder.hpp"
#include "attend/nn/rnn/bridge.hpp"
#include "attend/nn/rnn/encoder.hpp"

namespace attend::nn {

struct Seq2SeqOptions {
  int64_t src_vocab_size = 0;  ///< required, > 0
  int64_t tgt_vocab_size = 0;  ///< V, required, > 0
  int64_t embedding_dim = 0;   ///< E of both embeddings (required, > 0)
  int64_t hidden_size = 0;     ///< H of the decoder (required, > 0)
  int64_t encoder_hidden = 0;  ///< He per direction; 0: hidden_size
  int64_t encoder_layers = 1;
  bool bidirectional = true;   ///< of the encoder
  CellKind cell = CellKind::gru;  ///< encoder and decoder cell: rnn_tanh, rnn_relu, lstm or gru
  double dropout = 0.0;        ///< between encoder layers, in training mode
  ScorerOptions scorer = scorer_of(ScoreKind::additive);  ///< sizes are filled in
  AttentionPlacement placement = AttentionPlacement::bahdanau;
  AttentionFusion fusion = AttentionFusion::concat;
  bool input_feeding = false;
  bool coverage = false;
  BridgeKind bridge = BridgeKind::linear;
  int64_t padding_idx = 0;     ///< padding token of both vocabularies (-1: none)
  uint64_t seed = 0;
};

struct Seq2SeqOutput {
  Var logits;         ///< [B, Tt, V]
  Var attention;      ///< [B, Tt, Ts]
  Var coverage_loss;  ///< [B, Tt] per target step (coverage only)
};

/// Everything a decoding step needs: the prepared source and the decoder's state.
struct Seq2SeqState {
  AttentionDecoderMemory memory;
  AttentionDecoderState decoder;
};

struct Seq2SeqStep {
  Var log_probs;  ///< [B, V]
  Var attention;  ///< [B, Ts]
  Seq2SeqState state;
};

class Seq2Seq : public Module {
 public:
  /// Throws naming the option when a size is not positive or the parts disagree (see Encoder, Bridge,
  /// AttentionDecoder).
  explicit Seq2Seq(const Seq2SeqOptions& options);

  /// Teacher forcing: src i64 [B, Ts], src_lengths i64 [B] (or undefined), tgt_in i64 [B, Tt] (the target shifted
  /// right, starting with BOS) -> logits, attention, coverage loss. Throws naming the argument and shapes when the
  /// batch sizes differ or an id is out of range.
  Seq2SeqOutput forward(const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in) const;

  /// Encodes the source once: the state before the first step.
  Seq2SeqState init(const Tensor& src, const Tensor& src_lengths = Tensor()) const;
  /// One step from prev_tokens i64 [B] (BOS first) -> log-probabilities [B, V], attention [B, Ts], next state.
  Seq2SeqStep step(const Seq2SeqState& state, const Tensor& prev_tokens) const;
  /// Batch entries `indices` (i64 [N], repeats allowed) of every tensor of the state (index_select on dim 0).
  static Seq2SeqState reorder(const Seq2SeqState& state, const Tensor& indices);

  const Seq2SeqOptions& options() const { return options_; }
  const Encoder& encoder() const { return *encoder_; }
  const AttentionDecoder& decoder() const { return *decoder_; }

 private:
  Seq2SeqOptions options_;
  std::shared_ptr<Encoder> encoder_;
  std::shared_ptr<Bridge> bridge_;
  std::shared_ptr<Embedding> tgt_embedding_;
  std::shared_ptr<AttentionDecoder> decoder_;
};

}  // namespace attend::nn
