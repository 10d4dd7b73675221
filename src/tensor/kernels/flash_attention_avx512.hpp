// Private to tensor/kernels: the AVX-512 flash-attention tiles (flash_attention_avx512.cpp), chosen at run time by
// flash_attention.cpp. Only call when detail::avx512_available().
#pragma once

#include "attend/tensor/kernels/flash_attention.hpp"

namespace attend::kernels::detail {

void flash_attention_forward_avx512(const FlashAttentionProblem<float>& p, float* out, float* lse);
void flash_attention_backward_avx512(const FlashAttentionProblem<float>& p, const float* out, const float* lse,
                                     const float* dout, float* dq, float* dk, float* dv);

}  // namespace attend::kernels::detail
