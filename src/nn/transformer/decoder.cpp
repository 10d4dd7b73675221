// TransformerDecoder: the layers in turn, then the optional final norm; step() threads one cache per layer.
#include "attend/nn/transformer/decoder.hpp"

#include <string>

#include "attend/ops/shape.hpp"

namespace attend::nn {

void TransformerDecoderCache::reorder(const Tensor& index) {
  ATTEND_CHECK(index.defined() && index.dtype() == DType::i64 && index.dim() == 1,
               "TransformerDecoderCache::reorder: index must be i64 [B'], got {} {}",
               index.defined() ? dtype_name(index.dtype()) : "undefined",
               index.defined() ? shape_str(index.shape()) : std::string());
  auto pick = [&](Var& v) {
    if (v.defined()) v = index_select(v, 0, index);  // [B', H, T, D]
  };
  for (TransformerDecoderLayerCache& layer : layers) {
    pick(layer.self_attn.keys);
    pick(layer.self_attn.values);
    pick(layer.cross_attn.keys);
    pick(layer.cross_attn.values);
  }
}

TransformerDecoder::TransformerDecoder(const TransformerDecoderOptions& options) : options_(options) {
  ATTEND_CHECK(options_.num_layers >= 1, "TransformerDecoder: num_layers must be at least 1, got {}",
               options_.num_layers);
  check_transformer_layer_options("TransformerDecoder", options_.layer);
  auto layers = register_module("layers", std::make_shared<Module>());  // children "0", "1", ... as nn.ModuleList
  for (int64_t l = 0; l < options_.num_layers; ++l) {
    TransformerDecoderLayerOptions layer = options_.layer;
    layer.seed = sublayer_seed(options_.layer.seed, static_cast<uint64_t>(l));
    layers_.push_back(layers->register_module(std::to_string(l), std::make_shared<TransformerDecoderLayer>(layer)));
  }
  if (options_.norm) {
    norm_ = register_module("norm", std::make_shared<LayerNorm>(LayerNormOptions{
                                        .normalized_shape = {options_.layer.d_model},
                                        .eps = options_.layer.layer_norm_eps}));
  }
}

TransformerDecoderOutput TransformerDecoder::forward(const Var& tgt, const Var& memory,
                                                     const AttentionMask& tgt_mask,
                                                     const AttentionMask& memory_mask,
                                                     const TransformerDecoderCall& call) {
  return run(tgt, memory, tgt_mask, memory_mask, call, nullptr);
}

TransformerDecoderOutput TransformerDecoder::run(const Var& tgt, const Var& memory, const AttentionMask& tgt_mask,
                                                 const AttentionMask& memory_mask, const TransformerDecoderCall& call,
                                                 TransformerDecoderCache* cache) {
  TransformerDecoderOutput out;
  Var x = tgt;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto layer = static_cast<int64_t>(l);
    auto y = layers_[l]->forward(x, memory, tgt_mask, memory_mask,
                                 {.need_weights = call.need_weights,
                                  .average_weights = call.average_weights,
                                  .cache = cache ? &cache->layers[l] : nullptr,
                                  .self_capture = call.self_capture.of_layer(layer),
                                  .cross_capture = call.cross_capture.of_layer(layer)});
    x = y.output;
    if (call.need_weights) out.cross_weights.push_back(y.cross_weights);
    if (y.self_captured.defined()) out.self_captured.push_back(y.self_captured);
    if (y.cross_captured.defined()) out.cross_captured.push_back(y.cross_captured);
  }
  out.output = norm_ ? norm_->forward(x) : x;
  return out;
}

TransformerDecoderOutput TransformerDecoder::step(const Var& tgt, const Var& memory, const AttentionMask& memory_mask,
                                                  TransformerDecoderCache& cache, const TransformerDecoderCall& call) {
  const size_t n = layers_.size();
  ATTEND_CHECK(cache.layers.empty() || cache.layers.size() == n,
               "TransformerDecoder::step: cache has {} layers, the decoder {}", cache.layers.size(), n);
  if (cache.layers.empty()) cache.layers.resize(n);
  const int64_t batch_dim = options_.layer.batch_first ? 0 : 1;
  const Var& cached = cache.layers.front().self_attn.keys;
  ATTEND_CHECK(!cached.defined() || !tgt.defined() || tgt.dim() != 3 || cached.size(0) == tgt.size(batch_dim),
               "TransformerDecoder::step: tgt's batch size must equal the cache's (expected {}, got {}); tgt shape {}",
               cached.defined() ? cached.size(0) : 0, tgt.defined() && tgt.dim() == 3 ? tgt.size(batch_dim) : 0,
               tgt.defined() ? shape_str(tgt.shape()) : std::string("undefined"));
  // The new queries sit at positions P .. P + Tn − 1 and see every cached key and the new ones up to themselves.
  const AttentionMask causal = AttentionMask::causal(cache.length());
  return run(tgt, memory, causal, memory_mask, call, &cache);
}

}  // namespace attend::nn
