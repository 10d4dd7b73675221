// Transformer: the encoder-decoder sequence-to-sequence model of Vaswani et al. 2017 ("Attention Is All You Need"):
// token embeddings scaled by √d_model plus positional encodings, a TransformerEncoder and a TransformerDecoder (each
// with a final LayerNorm, as torch.nn.Transformer), and a generator projecting to the target vocabulary.
//
//   memory = encoder(pe(src_embed(src) · √C), key_lengths(src_lengths))
//   h      = decoder(pe(tgt_embed(tgt_in) · √C), memory, causal, key_lengths(src_lengths))
//   logits = generator(h)     (with tie_embeddings: h tgt_embed.weightᵀ, Press & Wolf 2017, no bias)
//
// State_dict keys: encoder.* and decoder.* exactly as torch.nn.Transformer's
// (encoder.layers.0.self_attn.in_proj_weight, encoder.norm.weight, decoder.layers.0.multihead_attn.out_proj.bias,
// decoder.norm.bias, ...), plus src_embed.weight [Vs, C], tgt_embed.weight [Vt, C], generator.weight [Vt, C] and
// generator.bias [Vt] (absent when tied), and src_pos.weight, tgt_pos.weight [max_len, C] for learned positions.
// Initialisation: as torch.nn.Transformer, xavier-uniform for every matrix of the encoder and decoder; embeddings
// N(0, 1/C) (so that the √C-scaled embeddings have unit variance) with the pad row zero; the generator as nn.Linear.
// Shapes: src i64 [B, Ts], src_lengths i64 [B] (undefined: no padding), tgt_in i64 [B, Tt] -> logits [B, Tt, Vt] and
// attention [B, Tt, Ts] (the last decoder layer's cross-attention, averaged over heads). Batch first.
// Interpretability: an AttentionCapture (nn/attention/capture.hpp) given to forward() or start() keeps the per-head
// weights of the selected encoder-self, decoder-self and cross layers (only those are computed); without one nothing
// more is computed than before.
// The target side needs no padding mask: with the causal mask a position only sees earlier ones, and padded target
// positions are ignored by the loss.
//
// Usage:
//   Transformer model({.src_vocab = 8000, .tgt_vocab = 8000, .d_model = 256, .nhead = 4});
//   auto out = model.forward(src, src_lengths, tgt_in);            // out.logits [B, Tt, 8000]
//   TransformerState s = model.start(src, src_lengths);            // decoding: encode once, then one step per token
//   auto next = model.step(s, prev_tokens);                         // next.log_probs [B, 8000], next.attention [B, Ts]
#pragma once

#include <cstdint>
#include <memory>

#include "attend/nn/attention/capture.hpp"
#include "attend/nn/embedding.hpp"
#include "attend/nn/transformer/decoder.hpp"
#include "attend/nn/transformer/encoder.hpp"
#include "attend/nn/transformer/positional_encoding.hpp"

namespace attend::nn {

enum class PositionalEncodingKind { sinusoidal, learned };

struct TransformerOptions {
  int64_t src_vocab = 0;  ///< Vs
  int64_t tgt_vocab = 0;  ///< Vt
  int64_t d_model = 512;  ///< C
  int64_t nhead = 8;
  int64_t num_encoder_layers = 6;
  int64_t num_decoder_layers = 6;
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;  ///< everywhere torch has it, plus after adding the positional encoding
  TransformerActivation activation = TransformerActivation::relu;
  double layer_norm_eps = 1e-5;
  bool norm_first = false;
  PositionalEncodingKind positional = PositionalEncodingKind::sinusoidal;
  int64_t max_len = 1024;       ///< positions with a learned row (learned encodings only)
  bool tie_embeddings = false;  ///< the generator reuses tgt_embed.weight
  int64_t pad_id = 0;           ///< padding row of both embeddings (never trained); -1: none
  uint64_t seed = 0;
};

struct TransformerOutput {
  Var logits;     ///< [B, Tt, Vt]
  Var attention;  ///< [B, Tt, Ts], the last decoder layer's cross-attention averaged over heads
  CapturedAttention captured = {};  ///< what the capture asked for: encoder_self [B, h, Ts, Ts], decoder_self
                               ///< [B, h, Tt, Tt], cross [B, h, Tt, Ts] per selected layer
};

/// Decoding state: the encoder memory, the source lengths and the decoder's cache.
struct TransformerState {
  Var memory;          ///< [B, Ts, C]
  Tensor src_lengths;  ///< i64 [B], or undefined
  TransformerDecoderCache cache;
  AttentionCapture capture = {};        ///< what step() keeps (decoder_self, cross), set by start()
  std::vector<Tensor> encoder_captured = {};  ///< encoder-self [B, h, Ts, Ts] per selected layer; not reordered
  /// Number of target tokens consumed so far.
  int64_t length() const { return cache.length(); }
  /// Keeps batch items `index` (i64 [B']) of everything, in that order (beam search reordering).
  void reorder(const Tensor& index);
};

struct TransformerStepOutput {
  Var log_probs;  ///< [B, Vt], log-softmax of the next token's logits
  Var attention;  ///< [B, Ts], the last decoder layer's cross-attention averaged over heads
  CapturedAttention captured = {};  ///< state.capture's decoder_self [B, h, 1, T] (T: tokens so far) and cross
                               ///< [B, h, 1, Ts] per selected layer
};

class Transformer : public Module {
 public:
  explicit Transformer(const TransformerOptions& options);

  /// src i64 [B, Ts], src_lengths i64 [B] (or undefined) -> memory [B, Ts, C]. Throws naming the argument and the
  /// shapes when src is not 2-D or src_lengths is not [B].
  Var encode(const Tensor& src, const Tensor& src_lengths = Tensor());
  /// Teacher-forced forward: see the file comment; `capture` says which weights to keep as well (capture.hpp).
  /// Throws naming both shapes when the batch sizes differ, and naming the limits when the capture asks for a
  /// layer or head the model does not have (or for kind rnn).
  TransformerOutput forward(const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in,
                            const AttentionCapture& capture = {});
  /// Encodes the source and returns an empty decoder state that keeps what `capture` asks for (encoder_self now,
  /// decoder_self and cross at every step). Throws as forward() for a bad capture.
  TransformerState start(const Tensor& src, const Tensor& src_lengths = Tensor(), const AttentionCapture& capture = {});
  /// Feeds the previous tokens prev i64 [B] (the start symbol first) -> log-probabilities of the next token [B, Vt]
  /// and the attention over the source [B, Ts]; equal to forward() on the whole prefix. Appends to state.cache.
  TransformerStepOutput step(TransformerState& state, const Tensor& prev_tokens);

  const TransformerOptions& options() const { return options_; }
  TransformerEncoder& encoder() { return *encoder_; }
  TransformerDecoder& decoder() { return *decoder_; }
  Embedding& src_embed() { return *src_embed_; }
  Embedding& tgt_embed() { return *tgt_embed_; }
  /// [Vt, C]: generator.weight, or tgt_embed.weight itself (the same Var) when tied.
  const Var& generator_weight() const;

 private:
  TransformerEncoderOutput encode_keeping(const Tensor& src, const Tensor& src_lengths, const LayerHeads& capture);
  void check_capture(const AttentionCapture& capture) const;
  Var embed(const Embedding& table, Module& positions, const Tensor& ids, int64_t offset);  // -> [B, T, C]
  Var project(const Var& h) const;  // [.., C] -> [.., Vt]

  TransformerOptions options_;
  std::shared_ptr<Embedding> src_embed_, tgt_embed_;
  std::shared_ptr<Module> src_pos_, tgt_pos_;  // Sinusoidal- or LearnedPositionalEncoding
  std::shared_ptr<TransformerEncoder> encoder_;
  std::shared_ptr<TransformerDecoder> decoder_;
  std::shared_ptr<Linear> generator_;  // nullptr when tied
};

}  // namespace attend::nn
