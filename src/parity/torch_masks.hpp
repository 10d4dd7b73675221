// PyTorch's mask conventions turned into AttentionMask, for parity and import only (attend's API uses typed masks).
//
// PyTorch: a bool (here u8) mask marks with 1 what is masked OUT; a float mask is added to the scores.
//   key_padding_mask [B, Tk]                     -> drop_keys, or bias [B, 1, 1, Tk] when float
//   attn_mask [Tq, Tk] or [B·H, Tq, Tk]          -> drop, or bias; the 3-D form is viewed as [B, H, Tq, Tk]
#pragma once

#include <cstdint>

#include "attend/nn/attention/mask.hpp"

namespace attend::parity {

/// `dtype` is the dtype of the scores a float mask is added to.
nn::AttentionMask torch_key_padding_mask(const Tensor& mask, DType dtype);
nn::AttentionMask torch_attn_mask(const Tensor& mask, int64_t batch, int64_t heads, DType dtype);

}  // namespace attend::parity
