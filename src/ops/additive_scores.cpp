// Fused additive attention scores: forward, then its backward right below (formulas in the header).
#include "attend/ops/additive_scores.hpp"

#include "attend/core/threads.hpp"

#include <omp.h>

#include <cmath>
#include <vector>

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/kernels/activation.hpp"

namespace attend {

namespace {

// e = Σ_h v_h tanh(q_h + k_h) over one (query, key) pair.
template <class T>
T score_pair(int64_t h, const T* __restrict q, const T* __restrict k, const T* __restrict v) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t c = 0; c < h; ++c) acc += v[c] * kernels::tanh_of<T>(q[c] + k[c]);
  return acc;
}

// The backward of one (query, key) pair with upstream gradient g, added into dq, dk and dv.
template <class T>
void backward_pair(int64_t h, T g, const T* __restrict q, const T* __restrict k, const T* __restrict v,
                   T* __restrict dq, T* __restrict dk, T* __restrict dv) {
  for (int64_t c = 0; c < h; ++c) {
    const T t = kernels::tanh_of<T>(q[c] + k[c]);
    const T p = g * v[c] * (T{1} - t * t);
    dq[c] += p;
    dk[c] += p;
    dv[c] += g * t;
  }
}

bool parallel_batch(int64_t batch, int64_t work) { return parallel_worth(batch, work); }

}  // namespace

ATTEND_REGISTER_OP("additive_scores");
Var additive_scores(const Var& wq_in, const Var& uk_in, const Var& v_in, const Tensor& key_lengths) {
  ATTEND_CHECK(wq_in.defined() && uk_in.defined() && v_in.defined(), "additive_scores: wq, uk and v must be defined");
  ATTEND_CHECK(wq_in.dim() == 3 && uk_in.dim() == 3,
               "additive_scores: wq must be [B, Tq, h] and uk [B, Tk, h]; wq shape {}, uk shape {}",
               shape_str(wq_in.shape()), shape_str(uk_in.shape()));
  const int64_t B = wq_in.size(0), Tq = wq_in.size(1), Tk = uk_in.size(1), h = wq_in.size(2);
  ATTEND_CHECK(uk_in.size(0) == B && uk_in.size(2) == h,
               "additive_scores: uk must be [B, Tk, h] = [{}, Tk, {}]; wq shape {}, uk shape {}", B, h,
               shape_str(wq_in.shape()), shape_str(uk_in.shape()));
  ATTEND_CHECK(v_in.shape() == Shape({1, h}), "additive_scores: v must be [1, h] = [1, {}]; v shape {}, wq shape {}",
               h, shape_str(v_in.shape()), shape_str(wq_in.shape()));
  ATTEND_CHECK(wq_in.dtype() == uk_in.dtype() && uk_in.dtype() == v_in.dtype(),
               "additive_scores: wq, uk and v have different dtypes ({}, {}, {})", dtype_name(wq_in.dtype()),
               dtype_name(uk_in.dtype()), dtype_name(v_in.dtype()));
  std::vector<int64_t> len(static_cast<size_t>(B), Tk);  // keys scored per batch item
  if (key_lengths.defined()) {
    ATTEND_CHECK(key_lengths.dtype() == DType::i64 && key_lengths.dim() == 1 && key_lengths.size(0) == B,
                 "additive_scores: key_lengths must be i64 [B] = [{}], got {} with shape {}", B,
                 dtype_name(key_lengths.dtype()), shape_str(key_lengths.shape()));
    len = key_lengths.contiguous().to_vector<int64_t>();
    for (int64_t b = 0; b < B; ++b) {
      ATTEND_CHECK(len[b] >= 0 && len[b] <= Tk, "additive_scores: key_lengths[{}] = {} is outside [0, Tk = {}]", b,
                   len[b], Tk);
    }
  }
  const Tensor wq = wq_in.value().contiguous(), uk = uk_in.value().contiguous(), v = v_in.value().contiguous();
  Tensor e = Tensor::empty({B, Tq, Tk}, wq.dtype());
  dispatch_floating(wq.dtype(), "additive_scores", [&](auto tag) {
    using T = decltype(tag);
    const T *pq = wq.data<T>(), *pk = uk.data<T>(), *pv = v.data<T>();
    T* pe = e.data<T>();
    parallel_for(B, parallel_batch(B, B * Tq * Tk * h), [&](int64_t b) {
      for (int64_t i = 0; i < Tq; ++i) {
        const T* q = pq + (b * Tq + i) * h;
        T* row = pe + (b * Tq + i) * Tk;
        for (int64_t j = 0; j < len[b]; ++j) row[j] = score_pair<T>(h, q, pk + (b * Tk + j) * h, pv);
        for (int64_t j = len[b]; j < Tk; ++j) row[j] = T{0};
      }
    });
  });
  return make_result(e, {wq_in, uk_in, v_in}, [wq, uk, v, B, Tq, Tk, h, len](const Tensor& grad, Grads& grads) {
    const Tensor g = grad.contiguous();
    Tensor dq = Tensor::zeros({B, Tq, h}, g.dtype()), dk = Tensor::zeros({B, Tk, h}, g.dtype());
    Tensor dv_parts = Tensor::zeros({B, h}, g.dtype());  // per batch item, summed in order below
    dispatch_floating(g.dtype(), "additive_scores_backward", [&](auto tag) {
      using T = decltype(tag);
      const T *pg = g.data<T>(), *pq = wq.data<T>(), *pk = uk.data<T>(), *pv = v.data<T>();
      T *pdq = dq.data<T>(), *pdk = dk.data<T>(), *pdv = dv_parts.data<T>();
      parallel_for(B, parallel_batch(B, B * Tq * Tk * h), [&](int64_t b) {
        for (int64_t i = 0; i < Tq; ++i) {
          for (int64_t j = 0; j < len[b]; ++j) {  // e is constant 0 past the length
            const T gij = pg[(b * Tq + i) * Tk + j];
            if (gij == T{0}) continue;  // masked keys: nothing flows back
            backward_pair<T>(h, gij, pq + (b * Tq + i) * h, pk + (b * Tk + j) * h, pv, pdq + (b * Tq + i) * h,
                             pdk + (b * Tk + j) * h, pdv + b * h);
          }
        }
      });
    });
    Tensor dv = Tensor::zeros({1, h}, g.dtype());
    dispatch_floating(g.dtype(), "additive_scores_backward", [&](auto tag) {
      using T = decltype(tag);
      const T* parts = dv_parts.data<T>();
      T* out = dv.data<T>();
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t c = 0; c < h; ++c) out[c] += parts[b * h + c];
      }
    });
    grads[0] = dq;
    grads[1] = dk;
    grads[2] = dv;
  }, "additive_scores");
}

}  // namespace attend
