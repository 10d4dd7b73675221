// One computation of the attention weights for the layer's weights and its captured heads (see the header).
#include "layer_weights.hpp"

#include "attend/ops/reduction.hpp"

namespace attend::nn::detail {

MultiHeadAttentionCall weights_call(bool need_weights, bool average_weights, HeadRange capture) {
  if (capture.empty()) return {.need_weights = need_weights, .average_weights = average_weights};
  // Only a capture: only its heads. Both: every head per head, averaged afterwards.
  return {.need_weights = true, .average_weights = false, .heads = need_weights ? HeadRange{} : capture};
}

LayerWeights split_weights(const Var& weights, bool need_weights, bool average_weights, HeadRange capture) {
  if (capture.empty()) return {weights, Tensor()};
  if (!need_weights) return {Var(), weights.value().contiguous()};  // [B, h, Tq, Tk]
  return {average_weights ? mean(weights, {1}) : weights,
          weights.value().narrow(1, capture.begin, capture.size()).contiguous()};  // [B, h, Tq, Tk]
}

}  // namespace attend::nn::detail
