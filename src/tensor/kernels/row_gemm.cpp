// row_gemm (include/attend/tensor/kernels/row_gemm.hpp): the column panels of C split across threads, each panel
// computed by the AVX-512 tiles (6 rows × 64 columns of accumulators per call) or, without AVX-512, plain loops.
#include "attend/tensor/kernels/row_gemm.hpp"

#include <algorithm>

#include "attend/core/threads.hpp"
#include "flash_tiles_avx512.hpp"
#include "softmax_avx512.hpp"

namespace attend::kernels {

namespace {

constexpr int64_t kPanel = kRowGemmPanel;  // one micro-kernel's accumulator width
static_assert(kPanel == 4 * detail::flash::kLanes);

int64_t panels_of(int64_t N) { return (N + kPanel - 1) / kPanel; }

ATTEND_FLASH_AVX512 void panel_avx512(int64_t M, int64_t n, int64_t K, const float* A, int64_t lda,
                                      const float* panel, float* C, int64_t ldc, bool accumulate) {
  detail::flash::gemm(M, n, K, A, lda, 1, panel, kPanel, C, ldc, accumulate);
}

// panel[k·64 + j] = bt[j·ld + k] for k < K, j < n: n rows of Bᵀ (contiguous in k) written as the panel's columns.
ATTEND_FLASH_AVX512 void panel_transposed_avx512(int64_t K, int64_t n, const float* bt, int64_t ld, float* panel) {
  detail::flash::pack_transposed(bt, ld, n, K, 1.0F, panel, kPanel);
}

}  // namespace

bool row_gemm_vectorized() { return detail::avx512_available(); }

int64_t row_gemm_packed_size(int64_t K, int64_t N) { return panels_of(N) * K * kPanel; }

void row_gemm_pack(int64_t K, int64_t N, const float* B, int64_t rs, int64_t cs, float* out) {
  const int64_t panels = panels_of(N);
  const bool vector = detail::avx512_available();
  parallel_for(panels, parallel_worth(panels, K * N), [&](int64_t p) {
    const int64_t j0 = p * kPanel, n = std::min(kPanel, N - j0);
    float* panel = out + p * K * kPanel;  // [K, 64]
    if (n < kPanel) std::fill(panel, panel + K * kPanel, 0.0F);
    if (cs == 1) {
      for (int64_t k = 0; k < K; ++k) std::copy(B + k * rs + j0, B + k * rs + j0 + n, panel + k * kPanel);
    } else if (rs == 1 && vector) {  // B's columns are rows of memory: 16 × 16 blocks transposed in registers
      panel_transposed_avx512(K, n, B + j0 * cs, cs, panel);
    } else {  // other strides, or no AVX-512, 16 columns at a time: each of the 16 source rows is read in order and
      // each k writes one 64-byte line of the panel (4.2% of an LSTM forward's samples at K = 512 when every k of a
      // column was written before the next column)
      constexpr int64_t kBlock = 16;
      for (int64_t jb = 0; jb < n; jb += kBlock) {
        const int64_t jn = std::min(kBlock, n - jb);
        for (int64_t k = 0; k < K; ++k)
          for (int64_t j = jb; j < jb + jn; ++j) panel[k * kPanel + j] = B[k * rs + (j0 + j) * cs];
      }
    }
  });
}

void row_gemm_naive(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float* C, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (!accumulate) std::fill(c, c + N, 0.0F);
    for (int64_t k = 0; k < K; ++k) {
      const float a = A[i * lda + k];
      const float* b = B + k * ldb;
      for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
    }
  }
}

void row_gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* packed_b, float* C,
              int64_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  const bool vector = detail::avx512_available();
  const int64_t panels = panels_of(N);
  parallel_for(panels, parallel_worth(panels, M * N * K / 64), [&](int64_t p) {
    const int64_t j0 = p * kPanel, n = std::min(kPanel, N - j0);
    const float* panel = packed_b + p * K * kPanel;
    if (K == 0) {
      if (!accumulate)
        for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc + j0, C + i * ldc + j0 + n, 0.0F);
    } else if (vector) {
      panel_avx512(M, n, K, A, lda, panel, C + j0, ldc, accumulate);
    } else {
      row_gemm_naive(M, n, K, A, lda, panel, kPanel, C + j0, ldc, accumulate);
    }
  });
}

}  // namespace attend::kernels
