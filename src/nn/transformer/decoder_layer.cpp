// TransformerDecoderLayer: torch 1.13's _sa_block, _mha_block and _ff_block, composed post-norm or pre-norm, with
// the key/value caches of incremental decoding threaded through the two attentions.
#include "attend/nn/transformer/decoder_layer.hpp"

#include "attend/ops/elementwise.hpp"
#include "layer_weights.hpp"

namespace attend::nn {

namespace {

const TransformerDecoderLayerOptions& checked(const TransformerDecoderLayerOptions& o) {
  check_transformer_layer_options("TransformerDecoderLayer", o);
  return o;
}

void check_sequence(const char* name, const Var& x, const TransformerDecoderLayerOptions& o) {
  ATTEND_CHECK(x.defined() && x.dim() == 3, "TransformerDecoderLayer: {} must be {}, got shape {}", name,
               o.batch_first ? "[B, T, C]" : "[T, B, C]",
               x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  ATTEND_CHECK(x.size(-1) == o.d_model,
               "TransformerDecoderLayer: {}.shape[-1] must equal d_model (expected {}, got {}); {} shape {}", name,
               o.d_model, x.size(-1), name, shape_str(x.shape()));
}

}  // namespace

TransformerDecoderLayer::TransformerDecoderLayer(const TransformerDecoderLayerOptions& options)
    : options_(checked(options)) {
  const auto& o = options_;
  auto attention = [&](uint64_t index) {
    return std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{.embed_dim = o.d_model,
                                                                          .num_heads = o.nhead,
                                                                          .dropout = o.dropout,
                                                                          .batch_first = o.batch_first,
                                                                          .seed = sublayer_seed(o.seed, index)});
  };
  auto drop = [&](uint64_t index) {
    return std::make_shared<Dropout>(DropoutOptions{.p = o.dropout, .seed = sublayer_seed(o.seed, index)});
  };
  self_attn_ = register_module("self_attn", attention(0));
  multihead_attn_ = register_module("multihead_attn", attention(1));
  linear1_ = register_module("linear1", std::make_shared<Linear>(LinearOptions{
                                            .in_features = o.d_model,
                                            .out_features = o.dim_feedforward,
                                            .seed = sublayer_seed(o.seed, 2)}));
  dropout_ = register_module("dropout", drop(3));
  linear2_ = register_module("linear2", std::make_shared<Linear>(LinearOptions{
                                            .in_features = o.dim_feedforward,
                                            .out_features = o.d_model,
                                            .seed = sublayer_seed(o.seed, 4)}));
  const LayerNormOptions norm{.normalized_shape = {o.d_model}, .eps = o.layer_norm_eps};
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(norm));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(norm));
  norm3_ = register_module("norm3", std::make_shared<LayerNorm>(norm));
  dropout1_ = register_module("dropout1", drop(5));
  dropout2_ = register_module("dropout2", drop(6));
  dropout3_ = register_module("dropout3", drop(7));
}

TransformerDecoderLayerOutput TransformerDecoderLayer::forward(const Var& tgt, const Var& memory,
                                                               const AttentionMask& tgt_mask,
                                                               const AttentionMask& memory_mask,
                                                               const TransformerDecoderLayerCall& call) {
  check_sequence("tgt", tgt, options_);
  check_sequence("memory", memory, options_);
  const int64_t batch_dim = options_.batch_first ? 0 : 1;
  ATTEND_CHECK(tgt.size(batch_dim) == memory.size(batch_dim),
               "TransformerDecoderLayer: tgt and memory must have the same batch size (got {} and {}); tgt shape {}, "
               "memory shape {}",
               tgt.size(batch_dim), memory.size(batch_dim), shape_str(tgt.shape()), shape_str(memory.shape()));
  TransformerDecoderLayerCache* cache = call.cache;
  TransformerDecoderLayerOutput out;
  // Self-attention block: dropout1(self_attn(x, x, x, tgt_mask)); the cache supplies the earlier steps.
  auto sa_block = [&](const Var& x) {
    MultiHeadAttentionCall c = detail::weights_call(false, false, call.self_capture);
    c.cache = cache ? &cache->self_attn : nullptr;
    auto attended = self_attn_->forward(x, x, x, tgt_mask, c);
    out.self_captured = detail::split_weights(attended.weights, false, false, call.self_capture).captured;
    return dropout1_->forward(attended.output);
  };
  // Cross-attention block: dropout2(multihead_attn(x, mem, mem, memory_mask)); the memory's keys are static.
  auto mha_block = [&](const Var& x) {
    MultiHeadAttentionCall c = detail::weights_call(call.need_weights, call.average_weights, call.cross_capture);
    if (cache) {
      c.cache = &cache->cross_attn;
      c.static_kv = true;
    }
    auto attended = multihead_attn_->forward(x, memory, memory, memory_mask, c);
    auto [weights, captured] =
        detail::split_weights(attended.weights, call.need_weights, call.average_weights, call.cross_capture);
    out.cross_weights = weights;
    out.cross_captured = captured;
    return dropout2_->forward(attended.output);
  };
  // Feed-forward block: dropout3(linear2(dropout(act(linear1(x))))).
  auto ff_block = [&](const Var& x) {
    const Var hidden = dropout_->forward(apply_transformer_activation(options_.activation, linear1_->forward(x)));
    return dropout3_->forward(linear2_->forward(hidden));
  };
  Var x = tgt;
  if (options_.norm_first) {
    x = add(x, sa_block(norm1_->forward(x)));
    x = add(x, mha_block(norm2_->forward(x)));
    x = add(x, ff_block(norm3_->forward(x)));
  } else {
    x = norm1_->forward(add(x, sa_block(x)));
    x = norm2_->forward(add(x, mha_block(x)));
    x = norm3_->forward(add(x, ff_block(x)));
  }
  out.output = x;
  return out;
}

}  // namespace attend::nn
