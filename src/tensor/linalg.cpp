#include "attend/tensor/linalg.hpp"

#include "attend/core/threads.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>

#include "attend/tensor/elementwise.hpp"

namespace attend {

namespace {

// How a 2-D matrix view is handed to BLAS: row-major with leading dim `ld`, transposed or not.
struct BlasOperand {
  CBLAS_TRANSPOSE trans = CblasNoTrans;
  int64_t ld = 0;
};

// A [rows, cols] matrix with strides (rs, cs) is usable without a copy when one of the strides is 1.
bool blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, BlasOperand& out) {
  if (cs == 1 && (rows <= 1 || rs >= std::max<int64_t>(cols, 1))) {
    out = {CblasNoTrans, std::max<int64_t>(rs, std::max<int64_t>(cols, 1))};
    return true;
  }
  if (rs == 1 && (cols <= 1 || cs >= std::max<int64_t>(rows, 1))) {
    out = {CblasTrans, std::max<int64_t>(cs, std::max<int64_t>(rows, 1))};
    return true;
  }
  return false;
}

// The matrix of the last two dims in a BLAS-compatible layout, copying only when needed.
Tensor blas_ready(const Tensor& t, BlasOperand& op) {
  const int64_t r = t.dim();
  if (blas_layout(t.size(r - 2), t.size(r - 1), t.stride(r - 2), t.stride(r - 1), op)) return t;
  Tensor c = t.contiguous();
  op = {CblasNoTrans, std::max<int64_t>(c.size(r - 1), 1)};
  return c;
}

template <class T>
void blas_gemm(const BlasOperand& a, const BlasOperand& b, int64_t m, int64_t n, int64_t k, T alpha, const T* pa,
               const T* pb, T beta, T* pc, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, a.trans, b.trans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha,
                pa, static_cast<int>(a.ld), pb, static_cast<int>(b.ld), beta, pc, static_cast<int>(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, a.trans, b.trans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha,
                pa, static_cast<int>(a.ld), pb, static_cast<int>(b.ld), beta, pc, static_cast<int>(ldc));
  }
}

// OpenBLAS never threads a call itself: its own split follows the thread count, and some of its kernels (the Haswell
// ones, chosen with OPENBLAS_CORETYPE=Haswell or on CPUs without AVX-512) then round differently, so results would
// depend on the thread count. The OpenMP build of OpenBLAS runs a call on one thread inside an active parallel region
// or when OpenMP's thread count is 1; outside a parallel region the count is set to 1 for the call and restored after.
class SerialBlas {
 public:
  SerialBlas() : saved_(omp_in_parallel() ? 0 : omp_get_max_threads()) {
    if (saved_ > 1) omp_set_num_threads(1);
  }
  ~SerialBlas() {
    if (saved_ > 1) omp_set_num_threads(saved_);
  }
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int saved_;
};

// The panels a product is split into: a function of the shape only, never of the thread count, so every output
// element is computed by the same single-threaded BLAS call whatever the thread count. Large products get 2 panels,
// very large ones 4: each panel re-packs the shared operand, and on one thread [2048, 512] @ [512, 1536] ran 3-4%
// slower as 4 panels of 512 rows than as 2 of 1024 (and 2 of 1024 as fast as one call); 2 and 4 keep 2 threads evenly
// loaded.
int64_t gemm_panels(int64_t m, int64_t n, int64_t k) {
  const int64_t rows = std::max(m, n);
  if (m * n * k < (int64_t{1} << 21) || rows < 64) return 1;
  return rows >= 8192 ? 4 : 2;
}

// C[m, n] = alpha · op(A)[m, k] @ op(B)[k, n] + beta · C, split into row panels (m >= n) or column panels, run in
// parallel when not already inside a parallel region.
template <class T>
void gemm(const BlasOperand& a, const BlasOperand& b, int64_t m, int64_t n, int64_t k, T alpha, const T* pa,
          const T* pb, T beta, T* pc, int64_t ldc) {
  const int64_t panels = gemm_panels(m, n, k);
  if (panels == 1) {
    const SerialBlas serial;
    return blas_gemm<T>(a, b, m, n, k, alpha, pa, pb, beta, pc, ldc);
  }
  const bool by_rows = m >= n;
  const int64_t extent = by_rows ? m : n;
  const int64_t step = (extent + panels - 1) / panels;
  parallel_for(panels, !omp_in_parallel(), [&](int64_t p) {
    const int64_t lo = p * step, len = std::min(extent, lo + step) - lo;
    if (len <= 0) return;
    if (by_rows) {  // rows lo.. of op(A) and of C
      const T* a_rows = pa + (a.trans == CblasNoTrans ? lo * a.ld : lo);
      const SerialBlas serial;  // a one-thread team (1 thread in all) is not an active region
      blas_gemm<T>(a, b, len, n, k, alpha, a_rows, pb, beta, pc + lo * ldc, ldc);
    } else {  // columns lo.. of op(B) and of C
      const T* b_cols = pb + (b.trans == CblasNoTrans ? lo : lo * b.ld);
      const SerialBlas serial;
      blas_gemm<T>(a, b, m, len, k, alpha, pa, b_cols, beta, pc + lo, ldc);
    }
  });
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  ATTEND_CHECK(a_in.defined() && b_in.defined(), "matmul: operand is undefined");
  ATTEND_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul: operands must have at least 1 dim, got shapes {} and {}",
               shape_str(a_in.shape()), shape_str(b_in.shape()));
  ATTEND_CHECK(a_in.dtype() == b_in.dtype(), "matmul: operands have different dtypes ({} and {})",
               dtype_name(a_in.dtype()), dtype_name(b_in.dtype()));
  const Tensor a = a_in.dim() == 1 ? a_in.unsqueeze(0) : a_in;
  const Tensor b = b_in.dim() == 1 ? b_in.unsqueeze(1) : b_in;
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  ATTEND_CHECK(b.size(-2) == k, "matmul: a.shape[-1] must equal b.shape[-2] (got {} and {}); shapes {} and {}", k,
               b.size(-2), shape_str(a_in.shape()), shape_str(b_in.shape()));
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  const Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);

  Shape a_full = batch, b_full = batch;
  a_full.insert(a_full.end(), {m, k});
  b_full.insert(b_full.end(), {k, n});
  BlasOperand oa, ob;
  const Tensor ea = blas_ready(a.expand(a_full), oa);
  const Tensor eb = blas_ready(b.expand(b_full), ob);
  // BLAS overwrites the output (beta = 0); only an empty sum (k = 0) needs the zeros.
  Tensor out = k > 0 ? Tensor::empty(out_shape, a.dtype()) : Tensor::zeros(out_shape, a.dtype());
  const int64_t batches = numel(batch);
  if (m > 0 && n > 0 && k > 0) {
    dispatch_floating(a.dtype(), "matmul", [&](auto tag) {
      using T = decltype(tag);
      const T* pa = static_cast<const T*>(ea.storage()->data());
      const T* pb = static_cast<const T*>(eb.storage()->data());
      T* pc = out.data<T>();
      const int64_t nb = static_cast<int64_t>(batch.size());
      // Small matrices in many batches: one BLAS call per thread beats BLAS's own threading. Tiny totals (a decoder
      // step's [B, 1, Tk] @ [B, Tk, D]) stay on one thread: a parallel region costs more than the work.
      const bool parallel_batches = batches > 1 && m * n * k < (int64_t{1} << 18) &&
                                    parallel_worth(batches, batches * m * n * k);
      parallel_for(batches, parallel_batches, [&](int64_t i) {
        int64_t off_a = ea.offset(), off_b = eb.offset(), rest = i;
        for (int64_t d = nb - 1; d >= 0; --d) {
          const int64_t idx = rest % batch[d];
          rest /= batch[d];
          off_a += idx * ea.stride(d);
          off_b += idx * eb.stride(d);
        }
        gemm<T>(oa, ob, m, n, k, T{1}, pa + off_a, pb + off_b, T{0}, pc + i * m * n, n);
      });
    });
  }
  if (a_in.dim() == 1) out = out.squeeze(-2);
  if (b_in.dim() == 1) out = out.squeeze(-1);
  return out;
}

void gemm_into(const Tensor& a, const Tensor& b, const Tensor& c, double alpha, double beta) {
  ATTEND_CHECK(a.dim() == 2 && b.dim() == 2 && c.dim() == 2, "gemm_into: a, b and c must be 2-D, got {}, {} and {}",
               shape_str(a.shape()), shape_str(b.shape()), shape_str(c.shape()));
  ATTEND_CHECK(a.size(1) == b.size(0) && c.size(0) == a.size(0) && c.size(1) == b.size(1),
               "gemm_into: shapes {} @ {} do not fit into {}", shape_str(a.shape()), shape_str(b.shape()),
               shape_str(c.shape()));
  ATTEND_CHECK(c.is_contiguous(), "gemm_into: c must be contiguous (shape {})", shape_str(c.shape()));
  ATTEND_CHECK(a.dtype() == b.dtype() && b.dtype() == c.dtype(), "gemm_into: dtypes differ ({}, {}, {})",
               dtype_name(a.dtype()), dtype_name(b.dtype()), dtype_name(c.dtype()));
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: c = beta · c
    c.copy_(mul(c, beta));
    return;
  }
  BlasOperand oa, ob;
  const Tensor pa = blas_ready(a, oa);
  const Tensor pb = blas_ready(b, ob);
  dispatch_floating(c.dtype(), "gemm_into", [&](auto tag) {
    using T = decltype(tag);
    gemm<T>(oa, ob, m, n, k, static_cast<T>(alpha), pa.data<T>(), pb.data<T>(),
            static_cast<T>(beta), c.data<T>(), n);
  });
}

}  // namespace attend
