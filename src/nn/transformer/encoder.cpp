// TransformerEncoder: the layers in turn, then the optional final norm.
#include "attend/nn/transformer/encoder.hpp"

#include <string>

namespace attend::nn {

TransformerEncoder::TransformerEncoder(const TransformerEncoderOptions& options) : options_(options) {
  ATTEND_CHECK(options_.num_layers >= 1, "TransformerEncoder: num_layers must be at least 1, got {}",
               options_.num_layers);
  check_transformer_layer_options("TransformerEncoder", options_.layer);
  auto layers = register_module("layers", std::make_shared<Module>());  // children "0", "1", ... as nn.ModuleList
  for (int64_t l = 0; l < options_.num_layers; ++l) {
    TransformerEncoderLayerOptions layer = options_.layer;
    layer.seed = sublayer_seed(options_.layer.seed, static_cast<uint64_t>(l));
    layers_.push_back(layers->register_module(std::to_string(l), std::make_shared<TransformerEncoderLayer>(layer)));
  }
  if (options_.norm) {
    norm_ = register_module("norm", std::make_shared<LayerNorm>(LayerNormOptions{
                                        .normalized_shape = {options_.layer.d_model},
                                        .eps = options_.layer.layer_norm_eps}));
  }
}

Var TransformerEncoder::forward(const Var& src, const AttentionMask& mask) {
  Var x = src;
  for (const auto& layer : layers_) x = layer->forward(x, mask);
  return norm_ ? norm_->forward(x) : x;
}

TransformerEncoderOutput TransformerEncoder::forward(const Var& src, const AttentionMask& mask,
                                                     const LayerHeads& capture) {
  TransformerEncoderOutput out;
  Var x = src;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const HeadRange heads = capture.of_layer(static_cast<int64_t>(l));
    auto y = layers_[l]->forward(x, mask, TransformerWeightsCall{.capture = heads});
    x = y.output;
    if (!heads.empty()) out.captured.push_back(y.captured);  // [B, h, T, T]
  }
  out.output = norm_ ? norm_->forward(x) : x;
  return out;
}

}  // namespace attend::nn
