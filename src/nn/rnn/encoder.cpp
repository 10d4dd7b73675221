// Encoder: Embedding, then RNN with the lengths handled inside (no sorting or packing).
#include "attend/nn/rnn/encoder.hpp"

#include "attend/core/error.hpp"

namespace attend::nn {

namespace {

const EncoderOptions& checked(const EncoderOptions& o) {
  ATTEND_CHECK(o.vocab_size > 0, "Encoder: vocab_size must be positive, got {}", o.vocab_size);
  ATTEND_CHECK(o.embedding_dim > 0, "Encoder: embedding_dim must be positive, got {}", o.embedding_dim);
  ATTEND_CHECK(o.hidden_size > 0, "Encoder: hidden_size must be positive, got {}", o.hidden_size);
  ATTEND_CHECK(o.num_layers > 0, "Encoder: num_layers must be positive, got {}", o.num_layers);
  ATTEND_CHECK(o.cell != CellKind::augru, "Encoder: cell must be rnn_tanh, rnn_relu, lstm or gru, got augru");
  return o;
}

}  // namespace

Encoder::Encoder(const EncoderOptions& options) : options_(checked(options)) {
  const EncoderOptions& o = options_;
  embedding_ = register_module("embedding", std::make_shared<Embedding>(EmbeddingOptions{
                                                .num_embeddings = o.vocab_size,
                                                .embedding_dim = o.embedding_dim,
                                                .padding_idx = o.padding_idx,
                                                .seed = o.seed * 4 + 1}));
  rnn_ = register_module("rnn", std::make_shared<RNN>(RecurrentOptions{.mode = o.cell,
                                                                       .input_size = o.embedding_dim,
                                                                       .hidden_size = o.hidden_size,
                                                                       .num_layers = o.num_layers,
                                                                       .batch_first = true,
                                                                       .dropout = o.dropout,
                                                                       .bidirectional = o.bidirectional,
                                                                       .seed = o.seed * 4 + 2}));
}

int64_t Encoder::output_size() const { return (options_.bidirectional ? 2 : 1) * options_.hidden_size; }

EncoderOutput Encoder::forward(const Tensor& src, const Tensor& src_lengths) const {
  ATTEND_CHECK(src.defined() && src.dim() == 2 && src.dtype() == DType::i64,
               "Encoder: src must be i64 [B, Ts], got {} with shape {}", src.defined() ? dtype_name(src.dtype()) : "undefined",
               shape_str(src.shape()));
  ATTEND_CHECK(src.size(1) >= 1, "Encoder: src must have at least one token per item, got shape {}",
               shape_str(src.shape()));
  if (src_lengths.defined()) {
    ATTEND_CHECK(src_lengths.dtype() == DType::i64 && src_lengths.dim() == 1 && src_lengths.size(0) == src.size(0),
                 "Encoder: src_lengths must be i64 [B] = [{}], got {} with shape {}; src shape {}", src.size(0),
                 dtype_name(src_lengths.dtype()), shape_str(src_lengths.shape()), shape_str(src.shape()));
    const std::vector<int64_t> lengths = src_lengths.contiguous().to_vector<int64_t>();
    for (size_t b = 0; b < lengths.size(); ++b) {
      ATTEND_CHECK(lengths[b] >= 1 && lengths[b] <= src.size(1),
                   "Encoder: src_lengths[{}] = {} is outside [1, Ts = {}]; src_lengths shape {}, src shape {}", b,
                   lengths[b], src.size(1), shape_str(src_lengths.shape()), shape_str(src.shape()));
    }
  }
  const Var embedded = embedding_->forward(src);                 // [B, Ts, E]
  const RecurrentOutput r = rnn_->forward(embedded, src_lengths);  // [B, Ts, D·H]
  return {.memory = r.output, .h_n = r.h_n, .c_n = r.c_n};
}

}  // namespace attend::nn
