// The naive reference flash-attention kernels (plain loops over one query row at a time, double accumulation, one
// thread), the weights recomputation from the saved lse, and the dispatch to the AVX-512 tiles.
#include "attend/tensor/kernels/flash_attention.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "attend/tensor/kernels/bf16.hpp"
#include "flash_attention_avx512.hpp"
#include "softmax_avx512.hpp"

namespace attend::kernels {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

template <class T>
bool is_bf16(const FlashAttentionProblem<T>& p) {
  return std::is_same_v<T, float> && p.bf16;
}

// v's element as the products see it: rounded to bf16 in a bf16 problem.
template <class T>
double value_of(const FlashAttentionProblem<T>& p, T v) {
  return is_bf16(p) ? static_cast<double>(round_bf16(static_cast<float>(v))) : static_cast<double>(v);
}

// Whether query i of (b, h) keeps key j, and the scaled, biased score when it does (-inf when it does not).
template <class T>
struct RowScores {
  const FlashAttentionProblem<T>& p;
  int64_t b, h, i;

  bool kept(int64_t j) const {
    if (p.key_lengths != nullptr && j >= p.key_lengths[b]) return false;
    if (p.causal && j > i + p.causal_offset) return false;
    if (p.keep != nullptr) {
      const auto& s = p.keep_strides;
      if (p.keep[b * s[0] + h * s[1] + i * s[2] + j * s[3]] == 0) return false;
    }
    return true;
  }

  // scores[j] for every key; returns the max (-inf when every key is masked). With bf16, q·scale and k rounded.
  double fill(std::vector<double>& scores) const {
    const int64_t g = p.heads / p.kv_heads;
    const T* qi = row_at(p.q, p.q_layout, b, h, i);
    const bool bf16 = is_bf16(p);
    std::vector<double> qs(static_cast<size_t>(bf16 ? p.dim : 0));
    for (int64_t d = 0; d < static_cast<int64_t>(qs.size()); ++d)
      qs[static_cast<size_t>(d)] = round_bf16(static_cast<float>(qi[d]) * static_cast<float>(p.scale));
    double m = -kInf;
    for (int64_t j = 0; j < p.tk; ++j) {
      if (!kept(j)) {
        scores[static_cast<size_t>(j)] = -kInf;
        continue;
      }
      double dot = 0.0;
      const T* kj = row_at(p.k, p.k_layout, b, h / g, j);
      if (bf16) {
        for (int64_t d = 0; d < p.dim; ++d)
          dot += qs[static_cast<size_t>(d)] * static_cast<double>(round_bf16(static_cast<float>(kj[d])));
      } else {
        for (int64_t d = 0; d < p.dim; ++d) dot += static_cast<double>(qi[d]) * static_cast<double>(kj[d]);
      }
      double s = bf16 ? dot : dot * p.scale;
      if (p.bias != nullptr) {
        const auto& bs = p.bias_strides;
        s += static_cast<double>(p.bias[b * bs[0] + h * bs[1] + i * bs[2] + j * bs[3]]);
      }
      scores[static_cast<size_t>(j)] = s;
      m = std::max(m, s);
    }
    return m;
  }
};

}  // namespace

template <class T>
void flash_attention_forward_naive(const FlashAttentionProblem<T>& p_in, T* out, T* lse) {
  const FlashAttentionProblem<T> p = with_layouts(p_in);
  const int64_t g = p.heads / p.kv_heads;
  const DropoutFactors drop(p.dropout, p.heads, p.tq, p.tk);
  std::vector<double> s(static_cast<size_t>(p.tk)), acc(static_cast<size_t>(p.dim_v));
  std::vector<T> z(static_cast<size_t>(p.tk), T(1));  // dropout factors of the row
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) {
      for (int64_t i = 0; i < p.tq; ++i) {
        const int64_t row = (b * p.heads + h) * p.tq + i;
        T* o = row_at(out, p.out_layout, b, h, i);
        const double m = RowScores<T>{p, b, h, i}.fill(s);
        if (m == -kInf) {  // every key masked: output 0, lse +inf
          std::fill(o, o + p.dim_v, T(0));
          lse[row] = static_cast<T>(kInf);
          continue;
        }
        std::fill(acc.begin(), acc.end(), 0.0);
        if (drop.active()) drop.row(b, h, i, 0, p.tk, z.data(), 1);
        double l = 0.0;
        for (int64_t j = 0; j < p.tk; ++j) {
          const double e = std::exp(s[static_cast<size_t>(j)] - m);
          if (e == 0.0) continue;
          l += e;  // before dropout
          const double ez = e * z[static_cast<size_t>(j)];
          const T* vj = row_at(p.v, p.v_layout, b, h / g, j);
          for (int64_t d = 0; d < p.dim_v; ++d) acc[static_cast<size_t>(d)] += ez * value_of(p, vj[d]);
        }
        for (int64_t d = 0; d < p.dim_v; ++d) o[d] = static_cast<T>(acc[static_cast<size_t>(d)] / l);
        lse[row] = static_cast<T>(m + std::log(l));
      }
    }
  }
}

// Per query row: p_j = exp(s_j − lse), z_j its dropout factor (1 without), δ = Σ dO ⊙ O, dS_j = p_j (z_j dO·v_j − δ);
// dq_i = scale Σ_j dS_j k_j, dk_j += scale dS_j q_i, dv_j += p_j z_j dO_i. With bf16, the products' inputs q, k, v
// and dO are rounded (the scores as in the forward); p_j z_j and dS_j are not (the tiles round them too).
template <class T>
void flash_attention_backward_naive(const FlashAttentionProblem<T>& p_in, const T* out, const T* lse, const T* dout,
                                    T* dq, T* dk, T* dv) {
  const FlashAttentionProblem<T> p = with_layouts(p_in);
  const int64_t g = p.heads / p.kv_heads;
  auto zero = [&](T* x, const FlashLayout& l, int64_t heads, int64_t t, int64_t width) {
    for (int64_t b = 0; b < p.batch; ++b)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < t; ++i) std::fill_n(row_at(x, l, b, h, i), width, T(0));
  };
  zero(dq, p.dq_layout, p.heads, p.tq, p.dim);
  zero(dk, p.dk_layout, p.kv_heads, p.tk, p.dim);
  zero(dv, p.dv_layout, p.kv_heads, p.tk, p.dim_v);
  const DropoutFactors drop(p.dropout, p.heads, p.tq, p.tk);
  std::vector<double> s(static_cast<size_t>(p.tk)), dqi(static_cast<size_t>(p.dim));
  std::vector<T> z(static_cast<size_t>(p.tk), T(1));
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) {
      const int64_t hk = h / g;
      for (int64_t i = 0; i < p.tq; ++i) {
        const int64_t row = (b * p.heads + h) * p.tq + i;
        const double l = static_cast<double>(lse[row]);
        if (l == kInf) continue;  // fully masked row: no gradient
        RowScores<T>{p, b, h, i}.fill(s);
        if (drop.active()) drop.row(b, h, i, 0, p.tk, z.data(), 1);
        const T* qi = row_at(p.q, p.q_layout, b, h, i);
        const T* oi = row_at(out, p.out_layout, b, h, i);
        const T* gi = row_at(dout, p.dout_layout, b, h, i);
        double delta = 0.0;
        for (int64_t d = 0; d < p.dim_v; ++d) delta += static_cast<double>(gi[d]) * static_cast<double>(oi[d]);
        std::fill(dqi.begin(), dqi.end(), 0.0);
        for (int64_t j = 0; j < p.tk; ++j) {
          const double pj = std::exp(s[static_cast<size_t>(j)] - l);
          if (pj == 0.0) continue;
          const T* vj = row_at(p.v, p.v_layout, b, hk, j);
          const T* kj = row_at(p.k, p.k_layout, b, hk, j);
          T* dvj = row_at(dv, p.dv_layout, b, hk, j);
          T* dkj = row_at(dk, p.dk_layout, b, hk, j);
          const double zj = z[static_cast<size_t>(j)];
          double dp = 0.0;
          for (int64_t d = 0; d < p.dim_v; ++d) {
            const double gd = value_of(p, gi[d]);
            dp += gd * value_of(p, vj[d]);
            dvj[d] += static_cast<T>(pj * zj * gd);
          }
          const double ds = pj * (zj * dp - delta) * p.scale;
          for (int64_t d = 0; d < p.dim; ++d) {
            dqi[static_cast<size_t>(d)] += ds * value_of(p, kj[d]);
            dkj[d] += static_cast<T>(ds * value_of(p, qi[d]));
          }
        }
        T* dqr = row_at(dq, p.dq_layout, b, h, i);
        for (int64_t d = 0; d < p.dim; ++d) dqr[d] = static_cast<T>(dqi[static_cast<size_t>(d)]);
      }
    }
  }
}

template void flash_attention_forward_naive<float>(const FlashAttentionProblem<float>&, float*, float*);
template void flash_attention_forward_naive<double>(const FlashAttentionProblem<double>&, double*, double*);
template void flash_attention_backward_naive<float>(const FlashAttentionProblem<float>&, const float*, const float*,
                                                    const float*, float*, float*, float*);
template void flash_attention_backward_naive<double>(const FlashAttentionProblem<double>&, const double*,
                                                     const double*, const double*, double*, double*, double*);

void flash_attention_forward(const FlashAttentionProblem<float>& p, float* out, float* lse) {
  if (p.bf16 ? bf16_available() : detail::avx512_available()) {
    detail::flash_attention_forward_avx512(with_layouts(p), out, lse);
  } else {
    flash_attention_forward_naive(p, out, lse);
  }
}

void flash_attention_backward(const FlashAttentionProblem<float>& p, const float* out, const float* lse,
                              const float* dout, float* dq, float* dk, float* dv) {
  if (p.bf16 ? bf16_available() : detail::avx512_available()) {
    detail::flash_attention_backward_avx512(with_layouts(p), out, lse, dout, dq, dk, dv);
  } else {
    flash_attention_backward_naive(p, out, lse, dout, dq, dk, dv);
  }
}

// One query row per iteration, rows over the threads (each row written by one thread: no dependence on the count).
void flash_attention_weights(const FlashAttentionProblem<float>& p_in, const float* lse, float* weights,
                             int64_t head_begin, int64_t head_end) {
  const FlashAttentionProblem<float> p = with_layouts(p_in);
  const int64_t nh = head_end - head_begin;
  const int64_t rows = p.batch * nh * p.tq;
#pragma omp parallel if (rows * p.tk * p.dim >= (int64_t{1} << 18) && !omp_in_parallel())
  {
    std::vector<double> s(static_cast<size_t>(p.tk));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = r % p.tq, h = head_begin + (r / p.tq) % nh, b = r / (p.tq * nh);
      const int64_t row = (b * p.heads + h) * p.tq + i;
      float* w = weights + row * p.tk;
      const double l = static_cast<double>(lse[row]);
      if (l == kInf) {
        std::fill(w, w + p.tk, 0.0F);
        continue;
      }
      RowScores<float>{p, b, h, i}.fill(s);
      for (int64_t j = 0; j < p.tk; ++j) w[j] = static_cast<float>(std::exp(s[static_cast<size_t>(j)] - l));
    }
  }
}

}  // namespace attend::kernels
