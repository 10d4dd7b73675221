// TransformerDecoder: a stack of TransformerDecoderLayers with an optional final LayerNorm, as
// torch.nn.TransformerDecoder (Vaswani et al. 2017), plus incremental decoding with a per-layer cache.
//
//   x_0 = tgt;  x_{l+1} = layers[l](x_l, memory, tgt_mask, memory_mask);  output = norm(x_L)
//
// State_dict keys are torch's: layers.<l>.<TransformerDecoderLayer key> and norm.weight, norm.bias.
// Shapes (batch_first): tgt [B, Tq, C], memory [B, Tk, C] -> output [B, Tq, C]; cross_weights (when asked) one per
// layer, [B, Tq, Tk] averaged over heads or [B, H, Tq, Tk].
//
// Incremental decoding: step() takes only the new target steps [B, Tn, C] (usually Tn = 1), attends causally to
// every step decoded so far through the cache, and gives the same outputs as forward() on the whole prefix with
// AttentionMask::causal(). The cache holds, per layer, the self-attention keys/values so far and the memory's
// projected keys/values (computed at the first step).
//
// Usage:
//   TransformerDecoder decoder({.layer = {.d_model = 64, .nhead = 4}, .num_layers = 6, .norm = true});
//   Var y = decoder.forward(tgt, memory, AttentionMask::causal(), AttentionMask::key_lengths(len)).output;
//   TransformerDecoderCache cache;
//   for (...) y_t = decoder.step(tgt_t, memory, AttentionMask::key_lengths(len), cache).output;  // [B, 1, 64]
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "attend/nn/transformer/decoder_layer.hpp"

namespace attend::nn {

struct TransformerDecoderOptions {
  TransformerDecoderLayerOptions layer;  ///< every layer's options (seeds are derived from layer.seed per layer)
  int64_t num_layers = 6;
  bool norm = false;  ///< a final LayerNorm(d_model, layer_norm_eps) named "norm"
};

/// Incremental decoding state: one cache per layer (filled by the first step).
struct TransformerDecoderCache {
  std::vector<TransformerDecoderLayerCache> layers;
  /// Number of target steps decoded so far.
  int64_t length() const { return layers.empty() ? 0 : layers.front().length(); }
  /// Keeps batch items `index` (i64 [B'], repeats allowed) of every cached tensor, in that order: the reordering
  /// beam search needs after choosing which hypotheses survive.
  void reorder(const Tensor& index);
};

struct TransformerDecoderCall {
  bool need_weights = false;    ///< return every layer's cross-attention weights
  bool average_weights = true;  ///< averaged over heads or per head
  LayerHeads self_capture = {};      ///< keep these layers' and heads' self-attention weights (checked by the caller)
  LayerHeads cross_capture = {};     ///< and cross-attention weights
};

struct TransformerDecoderOutput {
  Var output;                      ///< [B, Tq, C]
  std::vector<Var> cross_weights;  ///< one per layer when need_weights, else empty
  std::vector<Tensor> self_captured = {};   ///< [B, h, Tq, Tk] per layer of call.self_capture, in its order
  std::vector<Tensor> cross_captured = {};  ///< [B, h, Tq, Ts] per layer of call.cross_capture
};

class TransformerDecoder : public Module {
 public:
  explicit TransformerDecoder(const TransformerDecoderOptions& options);

  /// tgt [B, Tq, C], memory [B, Tk, C] -> output [B, Tq, C]; tgt_mask applies to every self-attention, memory_mask to
  /// every cross-attention.
  TransformerDecoderOutput forward(const Var& tgt, const Var& memory, const AttentionMask& tgt_mask = {},
                                   const AttentionMask& memory_mask = {}, const TransformerDecoderCall& call = {});
  /// The next steps tgt [B, Tn, C] given the cache (empty at the first step) -> [B, Tn, C], equal
  /// to the last Tn positions of forward() on the whole prefix with a causal tgt_mask. Appends to the cache.
  /// Throws naming both batch sizes when the cache was filled for another batch size.
  TransformerDecoderOutput step(const Var& tgt, const Var& memory, const AttentionMask& memory_mask,
                                TransformerDecoderCache& cache, const TransformerDecoderCall& call = {});

  const TransformerDecoderOptions& options() const { return options_; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }
  TransformerDecoderLayer& layer(int64_t index) { return *layers_.at(static_cast<size_t>(index)); }
  /// Undefined (nullptr) without options.norm.
  const std::shared_ptr<LayerNorm>& norm() const { return norm_; }

 private:
  // The layers in turn (with one cache per layer when `cache`), then the norm.
  TransformerDecoderOutput run(const Var& tgt, const Var& memory, const AttentionMask& tgt_mask,
                               const AttentionMask& memory_mask, const TransformerDecoderCall& call,
                               TransformerDecoderCache* cache);

  TransformerDecoderOptions options_;
  std::vector<std::shared_ptr<TransformerDecoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;
};

}  // namespace attend::nn
