// TransformerEncoderLayer (Vaswani et al. 2017, "Attention Is All You Need"), exactly as PyTorch 1.13's
// torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with dropout, a residual connection
// and LayerNorm.
//
//   post-norm (norm_first = false, the paper):  x = norm1(x + SA(x));         x = norm2(x + FF(x))
//   pre-norm  (norm_first = true, Xiong et al. 2020):  x = x + SA(norm1(x));  x = x + FF(norm2(x))
//   SA(x) = dropout1(self_attn(x, x, x, mask))      FF(x) = dropout2(linear2(dropout(act(linear1(x)))))
//
// Children carry PyTorch's names, so the state_dict keys are torch's: self_attn.in_proj_weight [3C, C],
// self_attn.in_proj_bias, self_attn.out_proj.{weight,bias}, linear1.{weight [F, C], bias}, linear2.{weight [C, F],
// bias}, norm1.{weight,bias}, norm2.{weight,bias} (dropout, dropout1, dropout2 hold no parameters).
// Initialisation is torch's per sublayer (MultiHeadAttention's and Linear's defaults), each from its own seed.
// Shapes (batch_first, attend's default): src [B, T, C] -> [B, T, C]; with batch_first = false [T, B, C].
// The mask applies to the self-attention scores [B, H, T, T] (key lengths, causal, PyTorch-style masks).
//
// Usage:
//   TransformerEncoderLayer layer({.d_model = 64, .nhead = 4, .dim_feedforward = 256});
//   Var y = layer.forward(x, AttentionMask::key_lengths(lengths));       // x [B, T, 64] -> y [B, T, 64]
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attend/nn/attention/multi_head_attention.hpp"
#include "attend/nn/dropout.hpp"
#include "attend/nn/layer_norm.hpp"
#include "attend/nn/linear.hpp"

namespace attend::nn {

/// The feed-forward activation (torch's `activation` string "relu" or "gelu"; gelu is the exact erf form).
enum class TransformerActivation { relu, gelu };
/// "relu" -> relu, "gelu" -> gelu; anything else throws naming the value and the choices.
TransformerActivation parse_transformer_activation(const std::string& name);
/// Applies the activation to x.
Var apply_transformer_activation(TransformerActivation activation, const Var& x);

/// The seed of sublayer `index` of a layer seeded with `seed` (a splitmix64 hash), so that sublayers and stacked
/// layers draw independent initialisations and dropout masks.
uint64_t sublayer_seed(uint64_t seed, uint64_t index);

struct TransformerEncoderLayerOptions {
  int64_t d_model = 0;                  ///< C; must be divisible by nhead
  int64_t nhead = 1;                    ///< H
  int64_t dim_feedforward = 2048;       ///< F
  double dropout = 0.1;                 ///< on the attention weights, after each block and inside FF (training only)
  TransformerActivation activation = TransformerActivation::relu;
  double layer_norm_eps = 1e-5;
  bool batch_first = true;              ///< PyTorch's default is false ([T, B, C])
  bool norm_first = false;              ///< pre-norm when true
  uint64_t seed = 0;
};

/// Throws naming `op` and the values when d_model or nhead is not positive, d_model % nhead != 0,
/// dim_feedforward < 1, dropout is outside [0, 1) or layer_norm_eps < 0.
void check_transformer_layer_options(const char* op, const TransformerEncoderLayerOptions& options);

/// Which attention weights a layer returns (for interpretability; off by default).
struct TransformerWeightsCall {
  bool need_weights = false;
  bool average_weights = true;  ///< [B, Tq, Tk] averaged over heads, or [B, H, Tq, Tk] per head
  HeadRange capture = {};       ///< also keep these heads' self-attention weights [B, h, T, T], no gradient
};

struct TransformerEncoderLayerOutput {
  Var output;       ///< [B, T, C]
  Var weights;      ///< self-attention weights, undefined unless asked for
  Tensor captured = {};  ///< [B, h, T, T] of call.capture's heads, undefined unless asked for
};

class TransformerEncoderLayer : public Module {
 public:
  explicit TransformerEncoderLayer(const TransformerEncoderLayerOptions& options);

  /// src [B, T, C] -> [B, T, C]. Throws naming src's shape when it is not 3-D with width d_model; mask errors name
  /// the mask part and the scores' shape.
  Var forward(const Var& src, const AttentionMask& mask = {});
  /// The same, also returning the self-attention weights when call.need_weights.
  TransformerEncoderLayerOutput forward(const Var& src, const AttentionMask& mask, const TransformerWeightsCall& call);

  const TransformerEncoderLayerOptions& options() const { return options_; }
  MultiHeadAttention& self_attn() { return *self_attn_; }

 private:
  TransformerEncoderLayerOptions options_;
  std::shared_ptr<MultiHeadAttention> self_attn_;
  std::shared_ptr<Linear> linear1_;
  std::shared_ptr<Dropout> dropout_;
  std::shared_ptr<Linear> linear2_;
  std::shared_ptr<LayerNorm> norm1_, norm2_;
  std::shared_ptr<Dropout> dropout1_, dropout2_;
};

}  // namespace attend::nn
