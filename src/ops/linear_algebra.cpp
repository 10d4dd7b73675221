// Matrix products: each forward, then its backward right below. Transposes are views handed to BLAS, never copies.
#include "attend/ops/linear_algebra.hpp"

#include "attend/core/threads.hpp"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/ops/weight_pack.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/kernels/row_gemm.hpp"
#include "attend/tensor/linalg.hpp"
#include "attend/tensor/reduce.hpp"

namespace attend {

namespace {

void check_operands(const Var& a, const Var& b, const char* op, const char* a_name, const char* b_name) {
  ATTEND_CHECK(a.defined() && b.defined(), "{}: {} or {} is undefined", op, a_name, b_name);
  ATTEND_CHECK(a.dtype() == b.dtype(), "{}: {} is {} but {} is {}; {} shape {}, {} shape {}", op, a_name,
               dtype_name(a.dtype()), b_name, dtype_name(b.dtype()), a_name, shape_str(a.shape()), b_name,
               shape_str(b.shape()));
}

// m itself when its columns are adjacent (m(i, k) = m[i·stride(0) + k]), else a contiguous copy.
Tensor unit_columns(const Tensor& m) { return m.stride(1) == 1 ? m : m.contiguous(); }

// Column sums of a contiguous [rows, cols] matrix, accumulated in f64 in row order (bitwise equal to
// sum(m, {0})); columns are spread over threads, so no element has two writers.
Tensor column_sums(const Tensor& m) {
  const int64_t rows = m.size(0), cols = m.size(1);
  Tensor out = Tensor::empty({cols}, m.dtype());
  dispatch_floating(m.dtype(), "linear_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* p = m.data<T>();
    T* dst = out.data<T>();
    constexpr int64_t kBlock = 64;
    const int64_t blocks = (cols + kBlock - 1) / kBlock;
    const bool parallel = parallel_worth(blocks, rows * cols);
    parallel_for(blocks, parallel, [&](int64_t blk) {
      const int64_t c0 = blk * kBlock, c1 = std::min(cols, c0 + kBlock);
      double acc[kBlock] = {};
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = p + r * cols;
        for (int64_t c = c0; c < c1; ++c) acc[c - c0] += static_cast<double>(row[c]);
      }
      for (int64_t c = c0; c < c1; ++c) dst[c] = static_cast<T>(acc[c - c0]);
    });
  });
  return out;
}

}  // namespace

// matmul: y = a @ b; da = gy @ bᵀ, db = aᵀ @ gy (summed over broadcast batch dims; 1-D operands as rows/columns).
ATTEND_REGISTER_OP("matmul");
Var matmul(const Var& a, const Var& b) {
  check_operands(a, b, "matmul", "a", "b");
  ATTEND_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: operands must have at least 1 dim; a shape {}, b shape {}",
               shape_str(a.shape()), shape_str(b.shape()));
  const int64_t k_a = a.size(-1), k_b = b.dim() == 1 ? b.size(0) : b.size(-2);
  ATTEND_CHECK(k_a == k_b, "matmul: a.shape[-1] must equal b.shape[{}] (expected {}, got {}); a shape {}, b shape {}",
               b.dim() == 1 ? 0 : -2, k_a, k_b, shape_str(a.shape()), shape_str(b.shape()));
  if (a.dim() > 2 || b.dim() > 2) {
    const Shape a_batch(a.shape().begin(), a.shape().end() - std::min<int64_t>(a.dim(), 2));
    const Shape b_batch(b.shape().begin(), b.shape().end() - std::min<int64_t>(b.dim(), 2));
    bool fits = true;
    for (size_t i = 0; i < std::min(a_batch.size(), b_batch.size()); ++i) {
      const int64_t ea = a_batch[a_batch.size() - 1 - i], eb = b_batch[b_batch.size() - 1 - i];
      fits = fits && (ea == eb || ea == 1 || eb == 1);
    }
    ATTEND_CHECK(fits, "matmul: batch dims {} and {} do not broadcast; a shape {}, b shape {}", shape_str(a_batch),
                 shape_str(b_batch), shape_str(a.shape()), shape_str(b.shape()));
  }
  const Tensor av = a.value(), bv = b.value();
  return make_result(matmul(av, bv), {a, b}, [av, bv](const Tensor& gy, Grads& grads) {
    const bool a_vec = av.dim() == 1, b_vec = bv.dim() == 1;
    const Tensor a2 = a_vec ? av.unsqueeze(0) : av;  // [.., M, K]
    const Tensor b2 = b_vec ? bv.unsqueeze(1) : bv;  // [.., K, N]
    Tensor g = a_vec ? gy.unsqueeze(gy.dim() - (b_vec ? 0 : 1)) : gy;  // [batch.., M, N] or [batch.., M]
    if (b_vec) g = g.unsqueeze(g.dim());                                 // [batch.., M, N]
    const int64_t k = a2.size(-1), n = g.size(-1);
    if (b2.dim() == 2) {
      // b is shared by every batch: fold the batch into the rows, one GEMM each.
      const Tensor g_rows = g.reshape({-1, n});  // [batch·M, N]
      if (grads.needs(0)) grads[0] = matmul(g_rows, b2.transpose(0, 1)).reshape(av.shape());  // [batch·M, K] -> a
      if (grads.needs(1)) {
        const Tensor a_rows = a2.reshape({-1, k});                                           // [batch·M, K]
        grads[1] = matmul(a_rows.transpose(0, 1), g_rows).reshape(bv.shape());              // [K, N] -> b
      }
      return;
    }
    if (grads.needs(0)) grads[0] = sum_to(matmul(g, b2.transpose(-1, -2)), a2.shape()).reshape(av.shape());  // a
    if (grads.needs(1)) grads[1] = sum_to(matmul(a2.transpose(-1, -2), g), b2.shape()).reshape(bv.shape());  // b
  }, "matmul");
}

// linear: y = x Wᵀ + b over x flattened to rows; dx = gy @ W, dW = gyᵀ @ x (one GEMM), db = column sums of gy.
ATTEND_REGISTER_OP("linear");
Var linear(const Var& x, const Var& weight, const Var& bias) {
  check_operands(x, weight, "linear", "input", "weight");
  ATTEND_CHECK(weight.dim() == 2, "linear: weight must be 2-D [out_features, in_features], got shape {}",
               shape_str(weight.shape()));
  ATTEND_CHECK(x.dim() >= 1, "linear: input must have at least 1 dim, got shape {}", shape_str(x.shape()));
  const int64_t in = weight.size(1), out = weight.size(0);
  ATTEND_CHECK(x.size(-1) == in,
               "linear: input.shape[-1] must equal weight.shape[1] (in_features) (expected {}, got {}); input shape "
               "{}, weight shape {}",
               in, x.size(-1), shape_str(x.shape()), shape_str(weight.shape()));
  const bool has_bias = bias.defined();
  if (has_bias) {
    ATTEND_CHECK(bias.dtype() == weight.dtype(), "linear: bias is {} but weight is {}; bias shape {}, weight shape {}",
                 dtype_name(bias.dtype()), dtype_name(weight.dtype()), shape_str(bias.shape()),
                 shape_str(weight.shape()));
    ATTEND_CHECK(bias.dim() == 1 && bias.size(0) == out,
                 "linear: bias must have shape [{}] (out_features), got {}; weight shape {}", out,
                 shape_str(bias.shape()), shape_str(weight.shape()));
  }
  const Tensor xv = x.value(), wv = weight.value();
  const Tensor x2 = xv.reshape({-1, in});  // [N, in]
  const int64_t rows = x2.size(0);
  // Under a WeightPackGuard, few rows multiply W's panels packed once (ops/weight_pack.hpp), else BLAS.
  std::shared_ptr<detail::PackedWeight> packed = detail::packed_weight(wv, rows);
  Shape y_shape = xv.shape();
  y_shape.back() = out;
  Tensor y2;  // [N, out]
  if (has_bias) {
    y2 = Tensor::empty({rows, out}, xv.dtype());
    const Tensor b = bias.value().contiguous();
    dispatch_floating(b.dtype(), "linear", [&](auto tag) {  // every row starts as b (on the pool: memory-bound)
      using T = decltype(tag);
      const T* src = b.data<T>();
      T* dst = y2.data<T>();
      parallel_for(rows, parallel_worth(rows, rows * out), [&](int64_t r) { std::copy_n(src, out, dst + r * out); });
    });
  }
  if (packed) {
    if (!has_bias) y2 = Tensor::empty({rows, out});
    const Tensor a = unit_columns(x2);
    kernels::row_gemm(rows, out, in, a.data<float>(), a.stride(0), packed->forward_panels(), y2.data<float>(), out,
                      has_bias);  // y2 (+)= x2 @ Wᵀ
  } else if (has_bias) {
    gemm_into(x2, wv.transpose(0, 1), y2, 1.0, 1.0);  // y2 += x2 @ Wᵀ
  } else {
    y2 = matmul(x2, wv.transpose(0, 1));  // [N, out]
  }
  std::vector<Var> inputs{x, weight};
  if (has_bias) inputs.push_back(bias);
  Tensor y = y2.reshape(y_shape);  // [..., out]
  return make_result(y, std::move(inputs), [x2, wv, packed, x_shape = xv.shape()](const Tensor& gy, Grads& grads) {
    const Tensor gy2 = gy.reshape({-1, gy.size(-1)});  // [N, out]
    if (grads.needs(0)) {                                // [N, in] = gy2 @ W -> x's shape
      if (packed) {
        const Tensor g = unit_columns(gy2);
        Tensor dx = Tensor::empty({g.size(0), wv.size(1)});
        kernels::row_gemm(g.size(0), wv.size(1), wv.size(0), g.data<float>(), g.stride(0), packed->backward_panels(),
                          dx.data<float>(), wv.size(1), false);
        grads[0] = dx.reshape(x_shape);
      } else {
        grads[0] = matmul(gy2, wv).reshape(x_shape);
      }
    }
    if (grads.needs(1)) grads.set_outer(1, gy2, x2);  // [out, in] = gy2ᵀ x2 (autograd/node.hpp)
    if (grads.slots.size() > 2 && grads.needs(2)) grads[2] = column_sums(gy2.contiguous());  // [out]
  }, "linear");
}

}  // namespace attend
