// TransformerEncoder: a stack of TransformerEncoderLayers with an optional final LayerNorm, as
// torch.nn.TransformerEncoder (Vaswani et al. 2017). Pre-norm stacks (norm_first) need the final norm, which is why
// torch.nn.Transformer always adds one.
//
//   x_0 = src;  x_{l+1} = layers[l](x_l, mask);  output = norm(x_L) (or x_L without a norm)
//
// State_dict keys are torch's: layers.<l>.<TransformerEncoderLayer key> (layers.0.self_attn.in_proj_weight, ...)
// and norm.weight, norm.bias. Each layer is initialised from its own seed (torch deep-copies one layer instead).
// Shapes (batch_first): src [B, T, C] -> [B, T, C].
// Usage:
//   TransformerEncoder encoder({.layer = {.d_model = 64, .nhead = 4}, .num_layers = 6, .norm = true});
//   Var memory = encoder.forward(x, AttentionMask::key_lengths(src_lengths));   // [B, T, 64]
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "attend/nn/transformer/encoder_layer.hpp"

namespace attend::nn {

struct TransformerEncoderOptions {
  TransformerEncoderLayerOptions layer;  ///< every layer's options (seeds are derived from layer.seed per layer)
  int64_t num_layers = 6;
  bool norm = false;  ///< a final LayerNorm(d_model, layer_norm_eps) named "norm"
};

struct TransformerEncoderOutput {
  Var output;                     ///< [B, T, C]
  std::vector<Tensor> captured = {};  ///< self-attention [B, h, T, T] per layer of the capture request, in its order
};

class TransformerEncoder : public Module {
 public:
  explicit TransformerEncoder(const TransformerEncoderOptions& options);

  /// src [B, T, C] -> [B, T, C]; the mask applies to every layer's self-attention scores.
  Var forward(const Var& src, const AttentionMask& mask = {});
  /// The same, also keeping the self-attention weights of capture.layers (heads capture.heads); layers are checked
  /// by the caller (AttentionCapture::check).
  TransformerEncoderOutput forward(const Var& src, const AttentionMask& mask, const LayerHeads& capture);

  const TransformerEncoderOptions& options() const { return options_; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }
  TransformerEncoderLayer& layer(int64_t index) { return *layers_.at(static_cast<size_t>(index)); }
  /// Undefined (nullptr) without options.norm.
  const std::shared_ptr<LayerNorm>& norm() const { return norm_; }

 private:
  TransformerEncoderOptions options_;
  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;
};

}  // namespace attend::nn
