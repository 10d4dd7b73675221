// MultiHeadAttention (Vaswani et al. 2017, "Attention Is All You Need"), compatible with torch.nn.MultiheadAttention:
// same options, same parameter names and layout, same results; plus grouped-query heads (Ainslie et al. 2023),
// rotary positions and a key/value cache for incremental decoding.
//
//   q = x_q W_qᵀ + b_q,  k = x_k W_kᵀ + b_k,  v = x_v W_vᵀ + b_v          split into H heads of D = E / H
//   head_h = softmax(mask(q_h k_hᵀ / √D)) v_h                              scaled_dot_product_attention
//   out = concat(head_1..head_H) W_oᵀ + b_o
//
// Parameters (PyTorch's names): in_proj_weight [3E, E] and in_proj_bias [3E] when kdim = vdim = E and no grouped
// heads; otherwise q_proj_weight [E, E], k_proj_weight [Hkv·D, kdim], v_proj_weight [Hkv·D, vdim] and in_proj_bias
// [E + 2·Hkv·D]; out_proj.weight [E, E], out_proj.bias [E]; with add_bias_kv, bias_k and bias_v [1, 1, Hkv·D].
// A PyTorch state_dict saved as safetensors loads with load_state_dict, no renaming.
//
// Shapes (batch_first, attend's default): query [B, Tq, E], key [B, Tk, kdim], value [B, Tk, vdim] -> output
// [B, Tq, E]; weights [B, H, Tq, Tk] per head or [B, Tq, Tk] averaged over heads (Tk includes appended keys).
// With batch_first = false (PyTorch's default) every sequence is [T, B, ·] instead; weights stay batch-first.
// The weights are the softmax BEFORE dropout (PyTorch returns them after dropout; equal in eval mode or dropout 0).
//
// Appended keys: with add_bias_kv the learned bias_k/bias_v follow the keys/values, then with add_zero_attn a zero
// key/value (PyTorch's order); the mask is extended so every query keeps them (with_kept_keys_appended).
// A query (of some head) whose keys are all masked, with nothing appended, gets weights 0 and context 0 in that head,
// and gradient 0, never NaN (PyTorch gives NaN there).
//
// Grouped-query heads (num_kv_heads = Hkv < H): query head h reads key/value head h / (H / Hkv), which equals
// standard attention whose k/v projection repeats each key/value head H / Hkv times in a row.
//
// Rotary (Su et al. 2021, rotary.hpp): q and k of each head are rotated after projection; positions are
// cache.length() + t for both the new queries and the new keys. Not defined for static_kv (error).
//
// Incremental decoding: the cache holds the projected (and rotated) keys/values of the real keys only, [B, Hkv, T,
// D]; bias_k/bias_v and the zero key are appended anew on every call, so step-by-step decoding with
// AttentionMask::causal(cache.length()) gives the same outputs as one causal call over the whole sequence.
//
// Usage:
//   MultiHeadAttention mha({.embed_dim = 64, .num_heads = 4});
//   auto [y, w] = mha.forward(x, x, x, AttentionMask::key_lengths(len) & AttentionMask::causal(),
//                             {.need_weights = true, .average_weights = false});     // y [B, T, 64], w [B, 4, T, T]
//   KeyValueCache cache;                                                                 // incremental decoding:
//   for (...) y_t = mha.forward(x_t, x_t, x_t, AttentionMask::causal(cache.length()), {.cache = &cache}).output;
#pragma once

#include <cstdint>
#include <memory>

#include "attend/core/rng.hpp"
#include "attend/nn/attention/attention.hpp"
#include "attend/nn/attention/capture.hpp"
#include "attend/nn/linear.hpp"
#include "attend/nn/module.hpp"

namespace attend::nn {

struct MultiHeadAttentionOptions {
  int64_t embed_dim = 0;
  int64_t num_heads = 1;
  double dropout = 0.0;      ///< on the attention weights, in training mode
  bool bias = true;          ///< in_proj_bias and out_proj.bias
  bool add_bias_kv = false;  ///< learned bias_k, bias_v appended to the key and value sequences
  bool add_zero_attn = false;  ///< a zero key and value appended (after bias_kv), as PyTorch
  int64_t kdim = 0;          ///< 0: embed_dim
  int64_t vdim = 0;          ///< 0: embed_dim
  bool batch_first = true;   ///< PyTorch's default is false
  int64_t num_kv_heads = 0;  ///< 0: num_heads; fewer gives grouped-query attention (must divide num_heads)
  bool rotary = false;       ///< rotary position embedding on q and k per head (positions start at the cache length)
  double rotary_base = 10000.0;
  uint64_t seed = 0;          ///< initialisation (Rng streams 0-4 of seed; out_proj its own seed) and dropout
  /// bf16: the attention core's products on bf16 inputs, forward and backward (ScaledDotProductOptions::precision);
  /// the projections stay f32.
  AttentionPrecision precision = AttentionPrecision::f32;
};

/// Keys and values of earlier steps, per head after projection (and rotation): [B, Hkv, T, D]. Empty at first;
/// forward() appends the new step's keys and values.
struct KeyValueCache {
  Var keys;
  Var values;
  int64_t length() const { return keys.defined() ? keys.value().shape()[2] : 0; }
};

struct MultiHeadAttentionCall {
  bool need_weights = false;
  bool average_weights = true;     ///< average over heads ([B, Tq, Tk]) or per head ([B, H, Tq, Tk])
  KeyValueCache* cache = nullptr;  ///< incremental decoding: key/value are the new steps only
  /// Cross-attention whose keys never change (decoder attending to the encoder memory): with `cache`, the
  /// projections of key/value are computed on the first call and reused afterwards (key and value are then not
  /// read and may be undefined). Without `cache` it changes nothing.
  bool static_kv = false;
  /// With need_weights: the weights of query heads [heads.begin, heads.end) only, [B, h, Tq, Tk] (or their mean);
  /// the others are not computed (interpretability, capture.hpp). Empty: every head.
  HeadRange heads = {};
};

struct MultiHeadAttentionOutput {
  Var output;   ///< [B, Tq, E] (or [Tq, B, E] when not batch_first)
  Var weights;  ///< see MultiHeadAttentionCall; undefined unless need_weights
};

class MultiHeadAttention : public Module {
 public:
  /// Parameters initialised as PyTorch: xavier_uniform in_proj (or q/k/v_proj) weights, zero in_proj_bias and
  /// out_proj.bias, xavier_normal bias_k/bias_v, out_proj.weight as nn::Linear. Throws when num_heads does not
  /// divide embed_dim (naming both), num_kv_heads does not divide num_heads, or rotary has an odd head width.
  explicit MultiHeadAttention(const MultiHeadAttentionOptions& options);

  /// query [B, Tq, E], key [B, Tk, kdim], value [B, Tk, vdim] (time-first when !batch_first); `mask` covers the
  /// scores [B, H, Tq, cache length + Tk] without the appended keys.
  /// Throws naming the argument and the shapes when widths, batch or lengths disagree, or the mask does not fit, and
  /// naming the range and H when call.heads is outside [0, H).
  MultiHeadAttentionOutput forward(const Var& query, const Var& key, const Var& value,
                                   const AttentionMask& mask = {}, const MultiHeadAttentionCall& call = {});

  /// The options with defaults resolved: kdim, vdim and num_kv_heads are never 0 here.
  const MultiHeadAttentionOptions& options() const { return options_; }
  /// True when the q/k/v projections are packed in in_proj_weight (kdim = vdim = E and num_kv_heads = num_heads).
  bool packed_projection() const { return in_proj_weight_.defined(); }
  int64_t head_dim() const { return options_.embed_dim / options_.num_heads; }

 private:
  MultiHeadAttentionOptions options_;
  Rng rng_;  // dropout on the weights
  // Parameters are registered in the constructor under PyTorch's names; see the file comment.
  Var in_proj_weight_, q_proj_weight_, k_proj_weight_, v_proj_weight_, in_proj_bias_, bias_k_, bias_v_;
  std::shared_ptr<Linear> out_proj_;
};

}  // namespace attend::nn
