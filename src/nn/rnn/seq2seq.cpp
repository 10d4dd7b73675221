// Seq2Seq: Encoder -> Bridge -> AttentionDecoder over the embedded target; the step API wraps the decoder's step.
#include "attend/nn/rnn/seq2seq.hpp"

#include "attend/core/error.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"

namespace attend::nn {

namespace {

const Seq2SeqOptions& checked(const Seq2SeqOptions& o) {
  ATTEND_CHECK(o.src_vocab_size > 0, "Seq2Seq: src_vocab_size must be positive, got {}", o.src_vocab_size);
  ATTEND_CHECK(o.tgt_vocab_size > 0, "Seq2Seq: tgt_vocab_size must be positive, got {}", o.tgt_vocab_size);
  ATTEND_CHECK(o.embedding_dim > 0, "Seq2Seq: embedding_dim must be positive, got {}", o.embedding_dim);
  ATTEND_CHECK(o.hidden_size > 0, "Seq2Seq: hidden_size must be positive, got {}", o.hidden_size);
  ATTEND_CHECK(o.encoder_hidden >= 0, "Seq2Seq: encoder_hidden must be positive (or 0: hidden_size), got {}",
               o.encoder_hidden);
  return o;
}

void check_tokens(const Tensor& t, const char* what, int64_t rank, const char* layout) {
  ATTEND_CHECK(t.defined() && t.dtype() == DType::i64 && t.dim() == rank, "Seq2Seq: {} must be i64 {}, got {} with shape {}",
               what, layout, t.defined() ? dtype_name(t.dtype()) : "undefined", shape_str(t.shape()));
}

}  // namespace

Seq2Seq::Seq2Seq(const Seq2SeqOptions& options) : options_(checked(options)) {
  const Seq2SeqOptions& o = options_;
  const int64_t He = o.encoder_hidden == 0 ? o.hidden_size : o.encoder_hidden;
  encoder_ = register_module("encoder", std::make_shared<Encoder>(EncoderOptions{.vocab_size = o.src_vocab_size,
                                                                                 .embedding_dim = o.embedding_dim,
                                                                                 .hidden_size = He,
                                                                                 .num_layers = o.encoder_layers,
                                                                                 .cell = o.cell,
                                                                                 .bidirectional = o.bidirectional,
                                                                                 .dropout = o.dropout,
                                                                                 .padding_idx = o.padding_idx,
                                                                                 .seed = o.seed * 8 + 1}));
  bridge_ = register_module("bridge", std::make_shared<Bridge>(BridgeOptions{.kind = o.bridge,
                                                                             .encoder_cell = o.cell,
                                                                             .encoder_hidden = He,
                                                                             .encoder_layers = o.encoder_layers,
                                                                             .bidirectional = o.bidirectional,
                                                                             .decoder_cell = o.cell,
                                                                             .decoder_hidden = o.hidden_size,
                                                                             .seed = o.seed * 8 + 2}));
  tgt_embedding_ = register_module("tgt_embedding", std::make_shared<Embedding>(EmbeddingOptions{
                                                        .num_embeddings = o.tgt_vocab_size,
                                                        .embedding_dim = o.embedding_dim,
                                                        .padding_idx = o.padding_idx,
                                                        .seed = o.seed * 8 + 3}));
  decoder_ = register_module("decoder", std::make_shared<AttentionDecoder>(AttentionDecoderOptions{
                                            .cell = o.cell,
                                            .input_size = o.embedding_dim,
                                            .hidden_size = o.hidden_size,
                                            .memory_size = encoder_->output_size(),
                                            .output_size = o.tgt_vocab_size,
                                            .scorer = o.scorer,
                                            .placement = o.placement,
                                            .fusion = o.fusion,
                                            .input_feeding = o.input_feeding,
                                            .coverage = o.coverage,
                                            .seed = o.seed * 8 + 4}));
}

Seq2SeqState Seq2Seq::init(const Tensor& src, const Tensor& src_lengths) const {
  const EncoderOutput e = encoder_->forward(src, src_lengths);  // memory [B, Ts, D·He]
  const RecurrentState s0 = bridge_->forward(e.h_n, e.c_n);     // [B, H]
  AttentionDecoderMemory memory = decoder_->prepare(e.memory, src_lengths);
  AttentionDecoderState state = decoder_->initial_state(memory, s0);
  return {std::move(memory), std::move(state)};
}

Seq2SeqOutput Seq2Seq::forward(const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in) const {
  check_tokens(src, "src", 2, "[B, Ts]");
  check_tokens(tgt_in, "tgt_in", 2, "[B, Tt]");
  ATTEND_CHECK(tgt_in.size(0) == src.size(0) && tgt_in.size(1) >= 1,
               "Seq2Seq: tgt_in must be [B, Tt] with the batch of src (B = {}) and Tt ≥ 1; tgt_in shape {}, src shape {}",
               src.size(0), shape_str(tgt_in.shape()), shape_str(src.shape()));
  const Seq2SeqState s = init(src, src_lengths);
  const Var embedded = tgt_embedding_->forward(tgt_in);  // [B, Tt, E]
  const AttentionDecoderOutput d = decoder_->forward(embedded, s.memory, s.decoder);
  return {.logits = d.logits, .attention = d.attention, .coverage_loss = d.coverage_loss};
}

Seq2SeqStep Seq2Seq::step(const Seq2SeqState& state, const Tensor& prev_tokens) const {
  check_tokens(prev_tokens, "prev_tokens", 1, "[B]");
  const int64_t B = state.memory.memory.size(0);
  ATTEND_CHECK(prev_tokens.size(0) == B, "Seq2Seq: prev_tokens must be [B] = [{}] (the state's batch), got shape {}",
               B, shape_str(prev_tokens.shape()));
  const Var x = tgt_embedding_->forward(prev_tokens);  // [B, E]
  AttentionDecoderStep st = decoder_->step(x, state.memory, state.decoder);
  return {.log_probs = log_softmax(st.logits, -1),  // [B, V]
          .attention = st.attention,
          .state = {state.memory, std::move(st.state)}};
}

Seq2SeqState Seq2Seq::reorder(const Seq2SeqState& state, const Tensor& indices) {
  return {AttentionDecoder::reorder(state.memory, indices), AttentionDecoder::reorder(state.decoder, indices)};
}

}  // namespace attend::nn
