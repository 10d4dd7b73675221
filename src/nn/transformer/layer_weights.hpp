// Private to nn/transformer: one computation of an attention's weights serving both what a layer returns
// (need_weights: averaged over heads or per head) and what it captures for interpretability (some heads).
#pragma once

#include "attend/nn/attention/multi_head_attention.hpp"

namespace attend::nn::detail {

/// The MultiHeadAttentionCall asking for the weights a layer wants (cache and static_kv left to the caller).
MultiHeadAttentionCall weights_call(bool need_weights, bool average_weights, HeadRange capture);

struct LayerWeights {
  Var weights;      ///< [B, Tq, Tk] averaged or [B, H, Tq, Tk], undefined unless need_weights
  Tensor captured;  ///< [B, h, Tq, Tk] of the captured heads, undefined unless asked for
};

/// Splits the weights the call of weights_call() returned.
LayerWeights split_weights(const Var& weights, bool need_weights, bool average_weights, HeadRange capture);

}  // namespace attend::nn::detail
