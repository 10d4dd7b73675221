// TranslationModel over nn::Seq2Seq and nn::Transformer (see the header).
#include "attend/train/translation_model.hpp"

#include <fmt/core.h>

#include "attend/core/error.hpp"
#include "attend/decode/model_adapters.hpp"
#include "attend/nn/rnn/seq2seq.hpp"
#include "attend/nn/transformer/transformer.hpp"

namespace attend::train {
namespace {

class RnnAttentionModel : public TranslationModel {
 public:
  RnnAttentionModel(const ModelConfig& c, int64_t src_vocab, int64_t tgt_vocab, uint64_t seed) : config_(c) {
    nn::Seq2SeqOptions o;
    o.src_vocab_size = src_vocab;
    o.tgt_vocab_size = tgt_vocab;
    o.embedding_dim = c.embedding;
    o.hidden_size = c.hidden;
    o.encoder_layers = c.layers;
    o.bidirectional = c.bidirectional;
    o.cell = nn::parse_cell_kind(c.cell);
    o.dropout = c.dropout;
    o.scorer = nn::scorer_of(nn::parse_score_kind(c.scorer));
    if (o.scorer.kind == nn::ScoreKind::mlp) o.scorer.hidden = c.hidden;
    o.placement = nn::parse_placement(c.placement);
    o.fusion = nn::parse_fusion(c.fusion);
    o.input_feeding = c.input_feeding;
    o.coverage = c.coverage;
    o.bridge = nn::parse_bridge_kind(c.bridge);
    o.padding_idx = data::kPadId;
    o.seed = seed;
    model_ = std::make_shared<nn::Seq2Seq>(o);
  }
  nn::Module& module() override { return *model_; }
  ModelOutput forward(const data::Batch& b, const nn::AttentionCapture& capture) override {
    for (nn::CaptureKind kind : nn::kCaptureKinds) {
      capture.check("rnn-attention model", kind, attention_layers(kind), attention_heads());
    }
    nn::Seq2SeqOutput out = model_->forward(b.src, b.src_lengths, b.tgt_in);
    ModelOutput result{out.logits, out.attention, out.coverage_loss};
    if (!capture.rnn.empty()) {
      const Tensor& a = out.attention.value();  // [B, Tt, Ts]
      result.captured.rnn = {a.reshape({a.size(0), 1, a.size(1), a.size(2)})};  // [B, 1, Tt, Ts]
    }
    return result;
  }
  int64_t attention_layers(nn::CaptureKind kind) const override { return kind == nn::CaptureKind::rnn ? 1 : 0; }
  int64_t attention_heads() const override { return 1; }
  std::unique_ptr<decode::DecodingModel> decoding() override { return decode::decoding_model(*model_); }
  std::string describe() const override {
    return fmt::format("rnn-attention: {}{} encoder ({} layer{}, embedding {}, hidden {}), {} attention, {} placement, "
                       "{} fusion{}{}, {} bridge",
                       config_.bidirectional ? "bidirectional " : "", config_.cell, config_.layers,
                       config_.layers == 1 ? "" : "s", config_.embedding, config_.hidden, config_.scorer,
                       config_.placement, config_.fusion, config_.input_feeding ? ", input feeding" : "",
                       config_.coverage ? ", coverage" : "", config_.bridge);
  }

 private:
  ModelConfig config_;
  std::shared_ptr<nn::Seq2Seq> model_;
};

class TransformerModel : public TranslationModel {
 public:
  TransformerModel(const ModelConfig& c, int64_t src_vocab, int64_t tgt_vocab, uint64_t seed) : config_(c) {
    nn::TransformerOptions o;
    o.src_vocab = src_vocab;
    o.tgt_vocab = tgt_vocab;
    o.d_model = c.d_model;
    o.nhead = c.heads;
    o.num_encoder_layers = c.encoder_layers;
    o.num_decoder_layers = c.decoder_layers;
    o.dim_feedforward = c.ffn;
    o.dropout = c.dropout;
    o.activation = nn::parse_transformer_activation(c.activation);
    o.norm_first = c.norm_first;
    ATTEND_CHECK(c.positional == "sinusoidal" || c.positional == "learned",
                 "model.positional must be one of sinusoidal, learned; got '{}'", c.positional);
    o.positional = c.positional == "learned" ? nn::PositionalEncodingKind::learned
                                             : nn::PositionalEncodingKind::sinusoidal;
    o.max_len = c.max_positions;
    o.tie_embeddings = c.tie_embeddings;
    o.pad_id = data::kPadId;
    o.seed = seed;
    model_ = std::make_shared<nn::Transformer>(o);
  }
  nn::Module& module() override { return *model_; }
  ModelOutput forward(const data::Batch& b, const nn::AttentionCapture& capture) override {
    nn::TransformerOutput out = model_->forward(b.src, b.src_lengths, b.tgt_in, capture);
    return {out.logits, out.attention, Var(), std::move(out.captured)};
  }
  int64_t attention_layers(nn::CaptureKind kind) const override {
    switch (kind) {
      case nn::CaptureKind::encoder_self: return config_.encoder_layers;
      case nn::CaptureKind::decoder_self:
      case nn::CaptureKind::cross: return config_.decoder_layers;
      case nn::CaptureKind::rnn: break;
    }
    return 0;
  }
  int64_t attention_heads() const override { return config_.heads; }
  std::unique_ptr<decode::DecodingModel> decoding() override { return decode::decoding_model(*model_); }
  std::string describe() const override {
    return fmt::format("transformer: {} encoder and {} decoder layers, d_model {}, {} heads, ffn {}, {}, {}, {} "
                       "positions{}",
                       config_.encoder_layers, config_.decoder_layers, config_.d_model, config_.heads, config_.ffn,
                       config_.norm_first ? "pre-norm" : "post-norm", config_.activation, config_.positional,
                       config_.tie_embeddings ? ", tied embeddings" : "");
  }

 private:
  ModelConfig config_;
  std::shared_ptr<nn::Transformer> model_;
};

}  // namespace

std::unique_ptr<TranslationModel> TranslationModel::create(const ModelConfig& config, int64_t src_vocab,
                                                           int64_t tgt_vocab, uint64_t seed) {
  ATTEND_CHECK(src_vocab >= 4 && tgt_vocab >= 4,
               "TranslationModel: vocabularies need at least the 4 special tokens; got source {}, target {}",
               src_vocab, tgt_vocab);
  if (config.type == "rnn-attention") return std::make_unique<RnnAttentionModel>(config, src_vocab, tgt_vocab, seed);
  if (config.type == "transformer") return std::make_unique<TransformerModel>(config, src_vocab, tgt_vocab, seed);
  ATTEND_CHECK(false, "model.type must be one of rnn-attention, transformer; got '{}'", config.type);
  return nullptr;
}

int64_t TranslationModel::parameter_count() {
  int64_t n = 0;
  for (const Var& p : module().parameters()) n += p.numel();
  return n;
}

}  // namespace attend::train
