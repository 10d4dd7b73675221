// The per-row GRU and LSTM gate kernels shared by the one-step ops (recurrent_gates.cpp) and the whole-sequence ops
// (recurrent_layer.cpp): each forward, then its backward right below. One row = one batch item; plain restrict pointers
// and one simple loop per gate, so each loop vectorises. Formulas: include/attend/ops/recurrent_gates.hpp.
// Every kernel computes the hidden units [u0, u1) of the row (gate k of unit j at k·H + j) and touches nothing else,
// so two threads can split a row's units; the one-step ops pass [0, H).
#pragma once

#include <cstdint>
#include <type_traits>

#include "attend/tensor/kernels/activation.hpp"

namespace attend::detail {

// GRU forward: x = gx row, g = gh row [3H] (bias_hh included), h [H] -> rzn = saved r, z, n [3H], out = h' [H].
// With kBias, g lacks bias_hh and `bias` [3H] is added here (the whole-sequence op: no per-step bias copy before the
// GEMM); g's n part then becomes W_hn h + b_hn, the value the backward reads.
template <class T, bool kBias = false>
void gru_forward_row(int64_t H, const T* __restrict x, std::conditional_t<kBias, T, const T>* __restrict g,
                     const T* __restrict h, T* __restrict rzn, T* __restrict out, int64_t u0, int64_t u1,
                     const T* __restrict bias = nullptr) {
  auto hidden = [&](int64_t j) { return kBias ? g[j] + bias[j] : g[j]; };
  for (int64_t j = u0; j < u1; ++j) rzn[j] = kernels::sigmoid_of<T>(hidden(j) + x[j]);                          // r
  for (int64_t j = u0; j < u1; ++j) rzn[H + j] = kernels::sigmoid_of<T>(hidden(H + j) + x[H + j]);              // z
  if constexpr (kBias)
    for (int64_t j = 2 * H + u0; j < 2 * H + u1; ++j) g[j] += bias[j];  // W_hn h + b_hn
  for (int64_t j = u0; j < u1; ++j) rzn[2 * H + j] = kernels::tanh_of<T>(x[2 * H + j] + g[2 * H + j] * rzn[j]);  // n
  for (int64_t j = u0; j < u1; ++j) out[j] = (h[j] - rzn[2 * H + j]) * rzn[H + j] + rzn[2 * H + j];
}

// GRU backward with gy = dL/dh' [H]: dgx, dgh [3H] (the pre-activation gradients of gx and gh) and dh [H], the direct
// part of dL/dh (the part through gh is dgh W_hh, outside).
template <class T>
void gru_backward_row(int64_t H, const T* __restrict gy, const T* __restrict gh, const T* __restrict h,
                      const T* __restrict rzn, T* __restrict dgx, T* __restrict dgh, T* __restrict dh, int64_t u0,
                      int64_t u1) {
  for (int64_t j = u0; j < u1; ++j) {
    const T r = rzn[j], z = rzn[H + j], n = rzn[2 * H + j], g = gy[j];
    const T dn = g * (T{1} - z) * (T{1} - n * n);
    const T dz = g * (h[j] - n) * z * (T{1} - z);
    const T dr = dn * gh[2 * H + j] * r * (T{1} - r);
    dgx[j] = dr;
    dgx[H + j] = dz;
    dgx[2 * H + j] = dn;
    dgh[j] = dr;
    dgh[H + j] = dz;
    dgh[2 * H + j] = dn * r;
    dh[j] = g * z;
  }
}

// LSTM forward: x = gx row, g = gh row [4H], c [H] -> saved i, f, g, o, tanh(c') [5H], h' and c' [H]. With kBias,
// g lacks bias_hh and `bias` [4H] is added here (the whole-sequence op: no per-step bias copy before the GEMM).
template <class T, bool kBias = false>
void lstm_forward_row(int64_t H, const T* __restrict x, const T* __restrict g, const T* __restrict c, T* __restrict s,
                      T* __restrict h_out, T* __restrict c_out, int64_t u0, int64_t u1,
                      const T* __restrict bias = nullptr) {
  auto pre = [&](int64_t j) { return kBias ? g[j] + bias[j] + x[j] : g[j] + x[j]; };
  for (int64_t j = u0; j < u1; ++j) {  // one pass: the gates stay in registers for c' and h'
    const T i = kernels::sigmoid_of<T>(pre(j)), f = kernels::sigmoid_of<T>(pre(H + j));
    const T cand = kernels::tanh_of<T>(pre(2 * H + j)), o = kernels::sigmoid_of<T>(pre(3 * H + j));
    const T cn = f * c[j] + i * cand;
    const T tc = kernels::tanh_of<T>(cn);
    s[j] = i;
    s[H + j] = f;
    s[2 * H + j] = cand;
    s[3 * H + j] = o;
    s[4 * H + j] = tc;
    c_out[j] = cn;
    h_out[j] = o * tc;
  }
}

// LSTM backward with dh' and dc' [H]: dgates [4H] (the same for gx and gh) and dc = dL/dc [H].
template <class T>
void lstm_backward_row(int64_t H, const T* __restrict dh_next, const T* __restrict dc_next, const T* __restrict c,
                       const T* __restrict s, T* __restrict dgates, T* __restrict dc, int64_t u0, int64_t u1) {
  for (int64_t j = u0; j < u1; ++j) {
    const T i = s[j], f = s[H + j], cand = s[2 * H + j], og = s[3 * H + j], tc = s[4 * H + j];
    const T dh = dh_next[j];
    const T dcn = dc_next[j] + dh * og * (T{1} - tc * tc);
    dgates[j] = dcn * cand * i * (T{1} - i);
    dgates[H + j] = dcn * c[j] * f * (T{1} - f);
    dgates[2 * H + j] = dcn * i * (T{1} - cand * cand);
    dgates[3 * H + j] = dh * tc * og * (T{1} - og);
    dc[j] = dcn * f;
  }
}

}  // namespace attend::detail
