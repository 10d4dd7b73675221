// Encoder: the source side of an RNN sequence-to-sequence model (Sutskever et al. 2014; Bahdanau et al. 2015's
// bidirectional encoder): token embedding, then a multi-layer, optionally bidirectional RNN over variable lengths.
//
//   e = embedding(src)                      [B, Ts, E]   (the padding_idx row gets no gradient)
//   memory, h_n, c_n = rnn(e, src_lengths)  memory [B, Ts, D·H] (zeros at padded steps), h_n [L·D, B, H]
//
// Parameters: embedding.weight [V, E]; rnn.* with PyTorch's names (rnn.weight_ih_l0, rnn.weight_hh_l0_reverse, ...).
// Shapes: src i64 [B, Ts], src_lengths i64 [B] (1 ≤ len ≤ Ts; undefined: every item has Ts tokens).
//
// Usage:
//   Encoder enc({.vocab_size = 1000, .embedding_dim = 64, .hidden_size = 128, .bidirectional = true});
//   EncoderOutput e = enc.forward(src, src_lengths);        // e.memory [B, Ts, 256], e.h_n [2, B, 128]
#pragma once

#include <cstdint>
#include <memory>

#include "attend/nn/embedding.hpp"
#include "attend/nn/module.hpp"
#include "attend/nn/rnn/rnn.hpp"

namespace attend::nn {

struct EncoderOptions {
  int64_t vocab_size = 0;     ///< V (required, > 0)
  int64_t embedding_dim = 0;  ///< E (required, > 0)
  int64_t hidden_size = 0;    ///< H per direction (required, > 0)
  int64_t num_layers = 1;
  CellKind cell = CellKind::gru;  ///< rnn_tanh, rnn_relu, lstm or gru
  bool bidirectional = false;
  double dropout = 0.0;      ///< between RNN layers, in training mode
  int64_t padding_idx = 0;   ///< the padding token (-1: none)
  uint64_t seed = 0;
};

struct EncoderOutput {
  Var memory;  ///< [B, Ts, D·H], zeros at padded steps
  Var h_n;     ///< [L·D, B, H], each item's true last state
  Var c_n;     ///< [L·D, B, H], LSTM only
};

class Encoder : public Module {
 public:
  /// Throws naming the option when a size is not positive.
  explicit Encoder(const EncoderOptions& options);

  /// src i64 [B, Ts], src_lengths i64 [B] or undefined. Throws naming the argument and shapes when src is not 2-D, an
  /// id is outside [0, V), or a length is outside [1, Ts].
  EncoderOutput forward(const Tensor& src, const Tensor& src_lengths = Tensor()) const;

  /// D·H, the width of the memory.
  int64_t output_size() const;
  const EncoderOptions& options() const { return options_; }
  const Embedding& embedding() const { return *embedding_; }
  RNN& rnn() const { return *rnn_; }

 private:
  EncoderOptions options_;
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<RNN> rnn_;
};

}  // namespace attend::nn
