// TransformerDecoderLayer (Vaswani et al. 2017, "Attention Is All You Need"), exactly as PyTorch 1.13's
// torch.nn.TransformerDecoderLayer: masked self-attention, cross-attention to the encoder memory, and a feed-forward
// block, each with dropout, a residual connection and LayerNorm.
//
//   post-norm (norm_first = false):  x = norm1(x + SA(x));  x = norm2(x + CA(x, mem));  x = norm3(x + FF(x))
//   pre-norm  (norm_first = true):   x = x + SA(norm1(x));  x = x + CA(norm2(x), mem);  x = x + FF(norm3(x))
//   SA(x) = dropout1(self_attn(x, x, x, tgt_mask))   CA(x, m) = dropout2(multihead_attn(x, m, m, memory_mask))
//   FF(x) = dropout3(linear2(dropout(act(linear1(x)))))
//
// State_dict keys are torch's: self_attn.*, multihead_attn.* (in_proj_weight, in_proj_bias, out_proj.weight,
// out_proj.bias), linear1.*, linear2.*, norm1.*, norm2.*, norm3.*.
// Shapes (batch_first): tgt [B, Tq, C], memory [B, Tk, C] -> [B, Tq, C] (batch_first = false: [T, B, C]).
// tgt_mask applies to the self-attention scores [B, H, Tq, Tq] (use AttentionMask::causal() for teacher forcing),
// memory_mask to the cross-attention scores [B, H, Tq, Tk] (AttentionMask::key_lengths(src_lengths)).
// Cross-attention weights (per head or averaged over heads) can be returned for interpretability and alignment.
//
// Incremental decoding: pass a TransformerDecoderLayerCache in the call; tgt is then only the new steps, the
// self-attention keys and values of earlier steps come from the cache, and the memory's projected keys and values
// are computed on the first call and reused. The outputs equal those of the full causal computation when tgt_mask is
// AttentionMask::causal(cache.self_attn.length()) (what TransformerDecoder::step passes).
//
// Usage:
//   TransformerDecoderLayer layer({.d_model = 64, .nhead = 4, .dim_feedforward = 256});
//   auto out = layer.forward(y, memory, AttentionMask::causal(), AttentionMask::key_lengths(src_lengths),
//                            {.need_weights = true});     // out.output [B, Tq, 64], out.cross_weights [B, Tq, Tk]
#pragma once

#include <cstdint>
#include <memory>

#include "attend/nn/transformer/encoder_layer.hpp"

namespace attend::nn {

using TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;

/// What incremental decoding keeps per decoder layer.
struct TransformerDecoderLayerCache {
  KeyValueCache self_attn;   ///< keys and values of every step so far, [B, H, T, D]; grows each call
  KeyValueCache cross_attn;  ///< the memory's keys and values, [B, H, Tk, D]; computed on the first call
  /// Number of target steps decoded so far.
  int64_t length() const { return self_attn.length(); }
};

struct TransformerDecoderLayerCall {
  bool need_weights = false;    ///< return the cross-attention weights
  bool average_weights = true;  ///< [B, Tq, Tk] averaged over heads, or [B, H, Tq, Tk] per head
  TransformerDecoderLayerCache* cache = nullptr;  ///< incremental decoding (see the file comment)
  HeadRange self_capture = {};   ///< keep these heads' self-attention weights (interpretability)
  HeadRange cross_capture = {};  ///< keep these heads' cross-attention weights
};

struct TransformerDecoderLayerOutput {
  Var output;             ///< [B, Tq, C]
  Var cross_weights;      ///< undefined unless need_weights
  Tensor self_captured = {};   ///< [B, h, Tq, Tk] (Tk: cached + new steps), undefined unless self_capture
  Tensor cross_captured = {};  ///< [B, h, Tq, Ts], undefined unless cross_capture
};

class TransformerDecoderLayer : public Module {
 public:
  explicit TransformerDecoderLayer(const TransformerDecoderLayerOptions& options);

  /// tgt [B, Tq, C], memory [B, Tk, C] -> output [B, Tq, C] (+ cross-attention weights). Throws naming the argument
  /// and its shape when tgt or memory is not 3-D with width d_model or their batch sizes differ.
  TransformerDecoderLayerOutput forward(const Var& tgt, const Var& memory, const AttentionMask& tgt_mask = {},
                                        const AttentionMask& memory_mask = {},
                                        const TransformerDecoderLayerCall& call = {});

  const TransformerDecoderLayerOptions& options() const { return options_; }
  MultiHeadAttention& self_attn() { return *self_attn_; }
  MultiHeadAttention& multihead_attn() { return *multihead_attn_; }

 private:
  TransformerDecoderLayerOptions options_;
  std::shared_ptr<MultiHeadAttention> self_attn_, multihead_attn_;
  std::shared_ptr<Linear> linear1_;
  std::shared_ptr<Dropout> dropout_;
  std::shared_ptr<Linear> linear2_;
  std::shared_ptr<LayerNorm> norm1_, norm2_, norm3_;
  std::shared_ptr<Dropout> dropout1_, dropout2_, dropout3_;
};

}  // namespace attend::nn
