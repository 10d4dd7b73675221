#include "torch_masks.hpp"

#include "attend/core/error.hpp"

namespace attend::parity {

namespace {

nn::AttentionMask from_torch(const Tensor& mask, const Shape& shape, DType dtype) {
  const Tensor m = mask.reshape(shape);
  if (mask.dtype() == DType::u8) return nn::AttentionMask::drop(m);
  ATTEND_CHECK(is_floating(mask.dtype()), "PyTorch mask: expected a bool (u8) or float mask, got {}",
               dtype_name(mask.dtype()));
  return nn::AttentionMask::bias(Var(m.to(dtype)));
}

}  // namespace

nn::AttentionMask torch_key_padding_mask(const Tensor& mask, DType dtype) {
  ATTEND_CHECK(mask.defined() && mask.dim() == 2, "key_padding_mask must be [B, Tk], got shape {}",
               mask.defined() ? shape_str(mask.shape()) : std::string("undefined"));
  const Shape& s = mask.shape();
  if (mask.dtype() == DType::u8) return nn::AttentionMask::drop_keys(mask);
  return from_torch(mask, {s[0], 1, 1, s[1]}, dtype);
}

nn::AttentionMask torch_attn_mask(const Tensor& mask, int64_t batch, int64_t heads, DType dtype) {
  ATTEND_CHECK(mask.defined() && (mask.dim() == 2 || mask.dim() == 3),
               "attn_mask must be [Tq, Tk] or [B·H, Tq, Tk], got shape {}",
               mask.defined() ? shape_str(mask.shape()) : std::string("undefined"));
  const Shape& s = mask.shape();
  if (mask.dim() == 2) return from_torch(mask, s, dtype);
  ATTEND_CHECK(s[0] == batch * heads, "attn_mask: a 3-D mask must be [B·H = {}, Tq, Tk], got shape {}",
               batch * heads, shape_str(s));
  return from_torch(mask, {batch, heads, s[1], s[2]}, dtype);
}

}  // namespace attend::parity
