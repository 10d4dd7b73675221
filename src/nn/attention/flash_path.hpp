// Private to nn/attention: when scaled_dot_product_attention runs the fused op (ops/flash_attention.hpp) instead of
// the composite, and the translation of an AttentionMask into the parts the fused kernel takes.
#pragma once

#include <optional>

#include "attend/nn/attention/attention.hpp"

namespace attend::nn::detail {

/// The fused result, or nullopt when the composite should run (see AttentionImpl). Shapes are already checked.
std::optional<AttentionOutput> flash_path(const Var& q, const Var& k, const Var& v, const AttentionMask& mask,
                                          const ScaledDotProductOptions& options, double scale);

}  // namespace attend::nn::detail
