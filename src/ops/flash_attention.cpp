// flash_attention: the fused attention op, forward and right below its backward, over the raw kernels of
// tensor/kernels/flash_attention (AVX-512 tiles for f32, the naive loops for f64).
#include "attend/ops/flash_attention.hpp"

#include <array>
#include <type_traits>

#include "attend/autograd/node.hpp"
#include "attend/core/error.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/kernels/flash_attention.hpp"

namespace attend {

namespace {

constexpr const char* kOp = "flash_attention";

// The mask tensors, contiguous, with their element strides over [B, H, Tq, Tk] (0 where they broadcast).
struct PreparedMask {
  Tensor lengths, bias, keep;
  std::array<int64_t, 4> bias_strides{}, keep_strides{};
  std::optional<int64_t> causal;
};

std::array<int64_t, 4> broadcast_strides(const Tensor& t, const Shape& scores, const char* arg) {
  ATTEND_CHECK(t.dim() <= 4, "{}: {} shape {} has more dims than the scores {}", kOp, arg, shape_str(t.shape()),
               shape_str(scores));
  Shape padded(static_cast<size_t>(4 - t.dim()), 1);
  padded.insert(padded.end(), t.shape().begin(), t.shape().end());
  std::array<int64_t, 4> strides{};
  int64_t step = 1;
  for (size_t i = 4; i-- > 0;) {
    ATTEND_CHECK(padded[i] == 1 || padded[i] == scores[i],
                 "{}: {} shape {} does not broadcast to the scores {} (dim {}: {} vs {})", kOp, arg,
                 shape_str(t.shape()), shape_str(scores), i, padded[i], scores[i]);
    strides[i] = padded[i] == 1 ? 0 : step;
    step *= padded[i];
  }
  return strides;
}

PreparedMask prepare(const FlashAttentionMask& m, const Shape& scores, DType dtype) {
  PreparedMask p;
  p.causal = m.causal_offset;
  if (m.key_lengths.defined()) {
    const Tensor& l = m.key_lengths;
    ATTEND_CHECK(l.dtype() == DType::i64 && l.dim() == 1 && l.size(0) == scores[0],
                 "{}: key_lengths must be i64 [B={}], got {} of shape {}", kOp, scores[0], dtype_name(l.dtype()),
                 shape_str(l.shape()));
    p.lengths = l.contiguous();
    const int64_t* d = p.lengths.data<int64_t>();
    for (int64_t b = 0; b < scores[0]; ++b)
      ATTEND_CHECK(d[b] >= 0 && d[b] <= scores[3], "{}: key_lengths[{}] = {} is outside [0, {}] (Tk)", kOp, b, d[b],
                   scores[3]);
  }
  if (m.bias.defined()) {
    ATTEND_CHECK(m.bias.dtype() == dtype, "{}: bias is {} but q is {}; bias shape {}", kOp,
                 dtype_name(m.bias.dtype()), dtype_name(dtype), shape_str(m.bias.shape()));
    p.bias = m.bias.contiguous();
    p.bias_strides = broadcast_strides(p.bias, scores, "bias");
  }
  if (m.keep.defined()) {
    ATTEND_CHECK(m.keep.dtype() == DType::u8, "{}: keep must be u8, got {} of shape {}", kOp,
                 dtype_name(m.keep.dtype()), shape_str(m.keep.shape()));
    p.keep = m.keep.contiguous();
    p.keep_strides = broadcast_strides(p.keep, scores, "keep");
  }
  return p;
}

// Checks q [B, H, Tq, D], k [B, Hkv, Tk, D] (and v [B, Hkv, Tk, Dv] when given); returns the scores' shape.
Shape check_shapes(const Var& q, const Var& k, const Var* v) {
  ATTEND_CHECK(q.defined() && k.defined() && (v == nullptr || v->defined()), "{}: q, k and v must be defined", kOp);
  const Shape& qs = q.shape();
  const Shape& ks = k.shape();
  ATTEND_CHECK(qs.size() == 4, "{}: q must be [B, H, Tq, D], got shape {}", kOp, shape_str(qs));
  ATTEND_CHECK(ks.size() == 4 && ks[0] == qs[0] && ks[3] == qs[3],
               "{}: k must be [B={}, Hkv, Tk, D={}]; k shape {}, q shape {}", kOp, qs[0], qs[3], shape_str(ks),
               shape_str(qs));
  ATTEND_CHECK(ks[1] >= 1 && qs[1] % ks[1] == 0,
               "{}: the key/value heads ({}) must divide the query heads ({}); q shape {}, k shape {}", kOp, ks[1],
               qs[1], shape_str(qs), shape_str(ks));
  if (v != nullptr) {
    const Shape& vs = v->shape();
    ATTEND_CHECK(vs.size() == 4 && vs[0] == ks[0] && vs[1] == ks[1] && vs[2] == ks[2],
                 "{}: v must be [B={}, Hkv={}, Tk={}, Dv]; v shape {}, k shape {}", kOp, ks[0], ks[1], ks[2],
                 shape_str(vs), shape_str(ks));
  }
  const DType t = q.dtype();
  ATTEND_CHECK(t == DType::f32 || t == DType::f64, "{}: q must be f32 or f64, got {}", kOp, dtype_name(t));
  ATTEND_CHECK(k.dtype() == t && (v == nullptr || v->dtype() == t), "{}: q, k and v must share a dtype (q is {}, k {})",
               kOp, dtype_name(t), dtype_name(k.dtype()));
  return {qs[0], qs[1], qs[2], ks[2]};
}

// x itself when its rows (the last dim) are contiguous, so the kernel reads a head-split view in place; else a copy.
Tensor rows_contiguous(const Tensor& x) { return x.stride(3) == 1 ? x : x.contiguous(); }

kernels::FlashLayout layout_of(const Tensor& x) { return {x.stride(0), x.stride(1), x.stride(2)}; }

// An uninitialised [B, heads, T, width] tensor whose memory is ordered as like's: [B, T, heads, width] (returned as
// its transposed view) when like's heads are the inner dim, as in a head-split view of a [B, T, E] projection, so
// that the context (or gradient) reshapes back to [B, T, E] without a copy; else contiguous.
Tensor empty_in_order(const Tensor& like, int64_t width, DType t) {
  const int64_t b = like.size(0), h = like.size(1), n = like.size(2);
  if (h > 1 && n > 1 && like.stride(1) < like.stride(2)) return Tensor::empty({b, n, h, width}, t).transpose(1, 2);
  return Tensor::empty({b, h, n, width}, t);
}

template <class T>
kernels::FlashAttentionProblem<T> problem(const Tensor& q, const Tensor& k, const Tensor* v, const PreparedMask& m,
                                          double scale, const FlashDropout& dropout = {},
                                          AttentionPrecision precision = AttentionPrecision::f32) {
  kernels::FlashAttentionProblem<T> p;
  p.dropout = dropout;
  p.bf16 = precision == AttentionPrecision::bf16;
  p.q = q.data<T>();
  p.k = k.data<T>();
  p.v = v != nullptr ? v->data<T>() : nullptr;
  p.batch = q.size(0);
  p.heads = q.size(1);
  p.kv_heads = k.size(1);
  p.tq = q.size(2);
  p.tk = k.size(2);
  p.dim = q.size(3);
  p.dim_v = v != nullptr ? v->size(3) : 0;
  p.scale = scale;
  p.q_layout = layout_of(q);
  p.k_layout = layout_of(k);
  if (v != nullptr) p.v_layout = layout_of(*v);
  p.key_lengths = m.lengths.defined() ? m.lengths.data<int64_t>() : nullptr;
  p.causal = m.causal.has_value();
  p.causal_offset = m.causal.value_or(0);
  if (m.bias.defined()) {
    p.bias = m.bias.data<T>();
    p.bias_strides = m.bias_strides;
  }
  if (m.keep.defined()) {
    p.keep = m.keep.data<uint8_t>();
    p.keep_strides = m.keep_strides;
  }
  return p;
}

template <class T>
void forward(const Tensor& q, const Tensor& k, const Tensor& v, const PreparedMask& m, double scale,
             const FlashDropout& dropout, AttentionPrecision precision, Tensor& out, Tensor& lse) {
  auto p = problem<T>(q, k, &v, m, scale, dropout, precision);
  p.out_layout = layout_of(out);
  if constexpr (std::is_same_v<T, float>) {
    kernels::flash_attention_forward(p, out.data<T>(), lse.data<T>());
  } else {
    kernels::flash_attention_forward_naive(p, out.data<T>(), lse.data<T>());
  }
}

template <class T>
void backward(const Tensor& q, const Tensor& k, const Tensor& v, const PreparedMask& m, double scale,
              const FlashDropout& dropout, AttentionPrecision precision, const Tensor& out, const Tensor& lse,
              const Tensor& g, Tensor& dq, Tensor& dk, Tensor& dv) {
  auto p = problem<T>(q, k, &v, m, scale, dropout, precision);
  p.out_layout = layout_of(out);
  p.dout_layout = layout_of(g);
  p.dq_layout = layout_of(dq);
  p.dk_layout = layout_of(dk);
  p.dv_layout = layout_of(dv);
  if constexpr (std::is_same_v<T, float>) {
    kernels::flash_attention_backward(p, out.data<T>(), lse.data<T>(), g.data<T>(), dq.data<T>(), dk.data<T>(),
                                      dv.data<T>());
  } else {
    kernels::flash_attention_backward_naive(p, out.data<T>(), lse.data<T>(), g.data<T>(), dq.data<T>(), dk.data<T>(),
                                            dv.data<T>());
  }
}

}  // namespace

// flash_attention: out = (softmax(q kᵀ·scale + bias, masked) ⊙ z) v (z: dropout factors, 1 without), lse saved;
// backward (FlashAttention-2): p = exp(s − lse), dv = (p ⊙ z)ᵀ dout, ds = p ⊙ (z ⊙ dout vᵀ − rowsum(dout ⊙ out)),
// dq = ds k·scale, dk = dsᵀ q·scale. With bf16, the backward's five products take bf16 inputs as the forward's two
// do (the mixed-precision gradient: f32 sums, softmax and δ).
ATTEND_REGISTER_OP("flash_attention");
FlashAttentionResult flash_attention(const Var& q, const Var& k, const Var& v, const FlashAttentionMask& mask,
                                     double scale, const FlashDropout& dropout, AttentionPrecision precision) {
  const Shape scores = check_shapes(q, k, &v);
  ATTEND_CHECK(dropout.p >= 0.0 && dropout.p < 1.0, "{}: dropout p must be in [0, 1), got {}; q shape {}", kOp,
               dropout.p, shape_str(q.shape()));
  const DType t = q.dtype();
  if (precision == AttentionPrecision::bf16) {
    ATTEND_CHECK(t == DType::f32, "{}: bf16 products take f32 inputs, got {}; q shape {}", kOp, dtype_name(t),
                 shape_str(q.shape()));
  }
  const PreparedMask m = prepare(mask, scores, t);
  const Tensor qc = rows_contiguous(q.value()), kc = rows_contiguous(k.value()), vc = rows_contiguous(v.value());
  Tensor out = empty_in_order(qc, vc.size(3), t);                              // [B, H, Tq, Dv]
  Tensor lse = Tensor::empty({scores[0], scores[1], scores[2]}, t);            // [B, H, Tq]
  if (t == DType::f32) {
    forward<float>(qc, kc, vc, m, scale, dropout, precision, out, lse);
  } else {
    forward<double>(qc, kc, vc, m, scale, dropout, precision, out, lse);
  }
  Var context = make_result(out, {q, k, v}, [qc, kc, vc, m, scale, dropout, precision, out, lse, t](const Tensor& g,
                                                                                                         Grads& grads) {
    Tensor dq = empty_in_order(qc, qc.size(3), t), dk = empty_in_order(kc, kc.size(3), t),
           dv = empty_in_order(vc, vc.size(3), t);
    const Tensor gc = rows_contiguous(g);  // [B, H, Tq, Dv], as the context
    if (t == DType::f32) {
      backward<float>(qc, kc, vc, m, scale, dropout, precision, out, lse, gc, dq, dk, dv);
    } else {
      backward<double>(qc, kc, vc, m, scale, dropout, precision, out, lse, gc, dq, dk, dv);
    }
    grads[0] = dq;
    grads[1] = dk;
    grads[2] = dv;
  }, kOp);
  return {context, lse};
}

Tensor flash_attention_weights(const Var& q, const Var& k, const FlashAttentionMask& mask, double scale,
                               const Tensor& lse, int64_t head_begin, int64_t head_end,
                               AttentionPrecision precision) {
  const Shape scores = check_shapes(q, k, nullptr);
  ATTEND_CHECK(q.dtype() == DType::f32, "flash_attention_weights: q must be f32, got {}", dtype_name(q.dtype()));
  ATTEND_CHECK(lse.defined() && lse.dtype() == DType::f32 && lse.shape() == Shape({scores[0], scores[1], scores[2]}),
               "flash_attention_weights: lse must be f32 [B, H, Tq] = [{}, {}, {}], got shape {}", scores[0],
               scores[1], scores[2], lse.defined() ? shape_str(lse.shape()) : std::string("undefined"));
  if (head_end < 0) head_end = scores[1];
  ATTEND_CHECK(0 <= head_begin && head_begin <= head_end && head_end <= scores[1],
               "flash_attention_weights: heads [{}, {}) are outside [0, {}); q shape {}", head_begin, head_end,
               scores[1], shape_str(q.shape()));
  const PreparedMask m = prepare(mask, scores, DType::f32);
  const Tensor qc = q.value().contiguous(), kc = k.value().contiguous(), lc = lse.contiguous();
  Tensor w = head_begin == 0 && head_end == scores[1] ? Tensor::empty(scores, DType::f32)
                                                      : Tensor::zeros(scores, DType::f32);  // [B, H, Tq, Tk]
  kernels::flash_attention_weights(problem<float>(qc, kc, nullptr, m, scale, {}, precision), lc.data<float>(),
                                   w.data<float>(), head_begin, head_end);
  return w;
}

}  // namespace attend
