// Transformer seq2seq: embeddings and positions, the encoder and decoder stacks, the (possibly tied) generator, and
// the step API that greedy and beam search drive.
#include "attend/nn/transformer/transformer.hpp"

#include <cmath>
#include <string>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"
#include "attend/tensor/indexing.hpp"

namespace attend::nn {

namespace {

const TransformerOptions& checked(const TransformerOptions& o) {
  ATTEND_CHECK(o.src_vocab > 0 && o.tgt_vocab > 0,
               "Transformer: src_vocab and tgt_vocab must be positive (got {} and {})", o.src_vocab, o.tgt_vocab);
  ATTEND_CHECK(o.pad_id >= -1 && o.pad_id < o.src_vocab && o.pad_id < o.tgt_vocab,
               "Transformer: pad_id must be -1 (none) or a valid id of both vocabularies (got {}; src_vocab {}, "
               "tgt_vocab {})",
               o.pad_id, o.src_vocab, o.tgt_vocab);
  ATTEND_CHECK(o.positional != PositionalEncodingKind::learned || o.max_len > 0,
               "Transformer: max_len must be positive for learned positions, got {}", o.max_len);
  return o;
}

TransformerEncoderLayerOptions layer_options(const TransformerOptions& o, uint64_t seed) {
  return {.d_model = o.d_model,
          .nhead = o.nhead,
          .dim_feedforward = o.dim_feedforward,
          .dropout = o.dropout,
          .activation = o.activation,
          .layer_norm_eps = o.layer_norm_eps,
          .batch_first = true,
          .norm_first = o.norm_first,
          .seed = seed};
}

// N(0, 1/C) with the padding row zero: the √C-scaled embeddings then have unit variance.
std::shared_ptr<Embedding> make_embedding(int64_t vocab, const TransformerOptions& o, uint64_t seed) {
  auto e = std::make_shared<Embedding>(
      EmbeddingOptions{.num_embeddings = vocab, .embedding_dim = o.d_model, .padding_idx = o.pad_id, .seed = seed});
  Rng rng(seed, /*stream=*/2);
  e->weight().value().copy_(Tensor::randn({vocab, o.d_model}, rng, DType::f32, 0.0,
                                          1.0 / std::sqrt(static_cast<double>(o.d_model))));
  if (o.pad_id >= 0) e->weight().value().select(0, o.pad_id).fill_(0.0);
  return e;
}

std::shared_ptr<Module> make_positions(const TransformerOptions& o, uint64_t seed) {
  if (o.positional == PositionalEncodingKind::learned) {
    return std::make_shared<LearnedPositionalEncoding>(
        LearnedPositionalEncodingOptions{.max_len = o.max_len, .dim = o.d_model, .dropout = o.dropout, .seed = seed});
  }
  return std::make_shared<SinusoidalPositionalEncoding>(
      SinusoidalPositionalEncodingOptions{.dim = o.d_model, .dropout = o.dropout, .seed = seed});
}

// torch.nn.Transformer._reset_parameters: xavier_uniform_ on every parameter with more than one dim.
void xavier_uniform_matrices(const Module& m, uint64_t seed) {
  uint64_t stream = 0;
  for (const auto& [name, p] : m.named_parameters()) {
    if (p.dim() < 2) continue;
    const double fan_out = static_cast<double>(p.size(0)), fan_in = static_cast<double>(p.size(1));
    const double bound = std::sqrt(6.0 / (fan_in + fan_out));
    Rng rng(seed, stream++);
    p.value().copy_(Tensor::uniform(p.shape(), rng, -bound, bound, p.dtype()));
  }
}

void check_ids(const char* what, const Tensor& ids) {
  ATTEND_CHECK(ids.defined() && ids.dtype() == DType::i64 && ids.dim() == 2,
               "Transformer: {} must be i64 [B, T], got {} of shape {}", what,
               ids.defined() ? dtype_name(ids.dtype()) : "undefined",
               ids.defined() ? shape_str(ids.shape()) : std::string("[]"));
}

AttentionMask source_mask(const Tensor& src_lengths) {
  return src_lengths.defined() ? AttentionMask::key_lengths(src_lengths) : AttentionMask();
}

}  // namespace

void TransformerState::reorder(const Tensor& index) {
  cache.reorder(index);
  memory = index_select(memory, 0, index);  // [B', Ts, C]
  if (src_lengths.defined()) src_lengths = attend::index_select(src_lengths, 0, index);  // [B']
}

Transformer::Transformer(const TransformerOptions& options) : options_(checked(options)) {
  const auto& o = options_;
  src_embed_ = register_module("src_embed", make_embedding(o.src_vocab, o, sublayer_seed(o.seed, 0)));
  src_pos_ = register_module("src_pos", make_positions(o, sublayer_seed(o.seed, 1)));
  encoder_ = register_module("encoder", std::make_shared<TransformerEncoder>(TransformerEncoderOptions{
                                            .layer = layer_options(o, sublayer_seed(o.seed, 2)),
                                            .num_layers = o.num_encoder_layers,
                                            .norm = true}));
  tgt_embed_ = register_module("tgt_embed", make_embedding(o.tgt_vocab, o, sublayer_seed(o.seed, 3)));
  tgt_pos_ = register_module("tgt_pos", make_positions(o, sublayer_seed(o.seed, 4)));
  decoder_ = register_module("decoder", std::make_shared<TransformerDecoder>(TransformerDecoderOptions{
                                            .layer = layer_options(o, sublayer_seed(o.seed, 5)),
                                            .num_layers = o.num_decoder_layers,
                                            .norm = true}));
  xavier_uniform_matrices(*encoder_, sublayer_seed(o.seed, 6));
  xavier_uniform_matrices(*decoder_, sublayer_seed(o.seed, 7));
  if (!o.tie_embeddings) {
    generator_ = register_module("generator", std::make_shared<Linear>(LinearOptions{
                                                  .in_features = o.d_model,
                                                  .out_features = o.tgt_vocab,
                                                  .seed = sublayer_seed(o.seed, 8)}));
  }
}

const Var& Transformer::generator_weight() const {
  return generator_ ? generator_->weight() : tgt_embed_->weight();
}

Var Transformer::embed(const Embedding& table, Module& positions, const Tensor& ids, int64_t offset) {
  const Var x = mul(table.forward(ids), std::sqrt(static_cast<double>(options_.d_model)));  // [B, T, C]
  if (auto* learned = dynamic_cast<LearnedPositionalEncoding*>(&positions)) return learned->forward(x, offset);
  return dynamic_cast<SinusoidalPositionalEncoding&>(positions).forward(x, offset);
}

Var Transformer::project(const Var& h) const {
  return generator_ ? generator_->forward(h) : linear(h, tgt_embed_->weight());
}

void Transformer::check_capture(const AttentionCapture& capture) const {
  const auto& o = options_;
  capture.check("Transformer", CaptureKind::encoder_self, o.num_encoder_layers, o.nhead);
  capture.check("Transformer", CaptureKind::decoder_self, o.num_decoder_layers, o.nhead);
  capture.check("Transformer", CaptureKind::cross, o.num_decoder_layers, o.nhead);
  capture.check("Transformer", CaptureKind::rnn, 0, 0);
}

TransformerEncoderOutput Transformer::encode_keeping(const Tensor& src, const Tensor& src_lengths,
                                                     const LayerHeads& capture) {
  check_ids("src", src);
  ATTEND_CHECK(!src_lengths.defined() || (src_lengths.dtype() == DType::i64 && src_lengths.dim() == 1 &&
                                          src_lengths.size(0) == src.size(0)),
               "Transformer: src_lengths must be i64 [B] with B = src.shape[0] = {}, got {} of shape {}; src shape {}",
               src.size(0), src_lengths.defined() ? dtype_name(src_lengths.dtype()) : "undefined",
               src_lengths.defined() ? shape_str(src_lengths.shape()) : std::string("[]"), shape_str(src.shape()));
  const Var x = embed(*src_embed_, *src_pos_, src, 0);  // [B, Ts, C]
  if (capture.empty()) return {encoder_->forward(x, source_mask(src_lengths)), {}};
  return encoder_->forward(x, source_mask(src_lengths), capture);  // [B, Ts, C]
}

Var Transformer::encode(const Tensor& src, const Tensor& src_lengths) {
  return encode_keeping(src, src_lengths, {}).output;  // [B, Ts, C]
}

TransformerOutput Transformer::forward(const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in,
                                       const AttentionCapture& capture) {
  check_ids("tgt_in", tgt_in);
  check_ids("src", src);
  ATTEND_CHECK(src.size(0) == tgt_in.size(0),
               "Transformer: src and tgt_in must have the same batch size (got {} and {}); src shape {}, tgt_in "
               "shape {}",
               src.size(0), tgt_in.size(0), shape_str(src.shape()), shape_str(tgt_in.shape()));
  check_capture(capture);
  TransformerEncoderOutput encoded = encode_keeping(src, src_lengths, capture.encoder_self);
  auto decoded = decoder_->forward(embed(*tgt_embed_, *tgt_pos_, tgt_in, 0), encoded.output, AttentionMask::causal(),
                                   source_mask(src_lengths),
                                   {.need_weights = true,
                                    .self_capture = capture.decoder_self,
                                    .cross_capture = capture.cross});
  TransformerOutput out{.logits = project(decoded.output), .attention = decoded.cross_weights.back()};
  out.captured.encoder_self = std::move(encoded.captured);    // [B, h, Ts, Ts] per layer
  out.captured.decoder_self = std::move(decoded.self_captured);  // [B, h, Tt, Tt]
  out.captured.cross = std::move(decoded.cross_captured);        // [B, h, Tt, Ts]
  return out;  // logits [B, Tt, V], attention [B, Tt, Ts]
}

TransformerState Transformer::start(const Tensor& src, const Tensor& src_lengths, const AttentionCapture& capture) {
  check_capture(capture);
  TransformerState state;
  TransformerEncoderOutput encoded = encode_keeping(src, src_lengths, capture.encoder_self);
  state.memory = encoded.output;
  state.src_lengths = src_lengths;
  state.capture.decoder_self = capture.decoder_self;
  state.capture.cross = capture.cross;
  state.encoder_captured = std::move(encoded.captured);
  return state;
}

TransformerStepOutput Transformer::step(TransformerState& state, const Tensor& prev_tokens) {
  ATTEND_CHECK(state.memory.defined(), "Transformer::step: the state has no memory; call start() first");
  const int64_t batch = state.memory.size(0);
  ATTEND_CHECK(prev_tokens.defined() && prev_tokens.dtype() == DType::i64 && prev_tokens.dim() == 1 &&
                   prev_tokens.size(0) == batch,
               "Transformer::step: prev_tokens must be i64 [B] with B = {} (the state's batch), got {} of shape {}",
               batch, prev_tokens.defined() ? dtype_name(prev_tokens.dtype()) : "undefined",
               prev_tokens.defined() ? shape_str(prev_tokens.shape()) : std::string("[]"));
  const Tensor ids = prev_tokens.reshape({batch, 1});  // [B, 1]
  const Var x = embed(*tgt_embed_, *tgt_pos_, ids, state.length());
  auto decoded = decoder_->step(x, state.memory, source_mask(state.src_lengths), state.cache,
                                {.need_weights = true,
                                 .self_capture = state.capture.decoder_self,
                                 .cross_capture = state.capture.cross});
  const Var logits = select(project(decoded.output), 1, 0);  // [B, V]
  TransformerStepOutput out{.log_probs = log_softmax(logits, -1),
                            .attention = select(decoded.cross_weights.back(), 1, 0)};  // [B, Ts]
  out.captured.decoder_self = std::move(decoded.self_captured);  // [B, h, 1, T]
  out.captured.cross = std::move(decoded.cross_captured);        // [B, h, 1, Ts]
  return out;
}

}  // namespace attend::nn
