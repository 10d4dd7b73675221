// AVX-512 softmax / log-softmax over contiguous rows, the fast twin of softmax_rows_naive (same results to ~1e-6
// relative; the unit test holds them to 2e-6).
//
// Per row, three passes that stay in L1 for rows up to a few thousand floats:
//   1. m = max(x)                                     (4 accumulators; max is exact, so order does not matter)
//   2. e = exp(x - m), s = Σ e                        (e into y, or into a per-thread scratch row, see below)
//   3. y = e · (1/s)        or for log-softmax: y = (x - m) - log(s)   (pass 2 then only sums)
// The sum adds 16-lane float partials (double for log-softmax) in a fixed order per 512-element chunk and the chunks
// in double; a row's result does not depend on which thread computed it: 1 and 2 threads give bitwise-equal outputs.
//
// exp: x = n·ln2 + r with n = round(x·log2(e)), |r| ≤ ln2/2 (ln2 split in two, Cody-Waite), e^r = 1 + r·p(r) with
// p of degree 4 fitted for minimax relative error (9e-8; 1.5e-7 after float rounding; 5 FMAs), then
// scalef(e^r, n) = e^r · 2^n, which rounds into denormals and to 0 correctly.
// Inputs are clamped below at -150 (exp < 2^-216 rounds to 0), so -inf and huge negatives give exactly 0; NaN passes
// through (the clamp keeps it), so a row with a NaN gives NaN like the naive loop.
//
// Large outputs (≥ kStreamBytes, not in place) are written with non-temporal stores from a per-thread scratch row:
// the output does not fit in cache anyway, and streaming avoids reading every output line before writing it.
#include "softmax_avx512.hpp"

#include "attend/core/threads.hpp"

// GCC 12's avx512fintrin.h builds some intrinsics on a deliberately undefined vector (_mm512_undefined_ps) and
// -W(maybe-)uninitialized reports that at every use (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>

#define ATTEND_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

namespace attend::kernels::detail {

namespace {

constexpr int64_t kLanes = 16;
constexpr int64_t kSumChunk = 512;                       // floats summed in float before joining the double total
constexpr int64_t kStreamBytes = int64_t{16} << 20;      // outputs this large bypass the cache
constexpr int64_t kChunkElements = int64_t{1} << 14;     // rows handed to a thread at a time: ~64 KiB of input

ATTEND_AVX512 inline __mmask16 first_lanes(int64_t n) {  // n in [0, 16]
  return static_cast<__mmask16>((1U << static_cast<unsigned>(n)) - 1U);
}

// e^d for a vector of d ≤ 0 (also correct for small positive d); see the file comment.
ATTEND_AVX512 inline __m512 exp_ps(__m512 d) {
  const __m512 x = _mm512_max_ps(_mm512_set1_ps(-150.0F), d);  // NaN in d is returned as is
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341F)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375F), x);  // x - n·ln2_hi (exact: ln2_hi has 9 bits)
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4F), r);       // - n·ln2_lo
  __m512 p = _mm512_set1_ps(8.290315046906471E-3F);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.189793020486832E-2F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.666763573884964E-1F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.999915063381195E-1F));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(9.999997019767761E-1F));
  const __m512 er = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0F));
  return _mm512_scalef_ps(er, n);
}

ATTEND_AVX512 float row_max(const float* x, int64_t cols) {
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
  int64_t j = 0;
  for (; j + 4 * kLanes <= cols; j += 4 * kLanes) {
    m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + j));
    m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + j + kLanes));
    m2 = _mm512_max_ps(m2, _mm512_loadu_ps(x + j + 2 * kLanes));
    m3 = _mm512_max_ps(m3, _mm512_loadu_ps(x + j + 3 * kLanes));
  }
  for (; j + kLanes <= cols; j += kLanes) m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + j));
  if (j < cols) m1 = _mm512_max_ps(m1, _mm512_mask_loadu_ps(lowest, first_lanes(cols - j), x + j));
  return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

// Σ exp(x - m) over the row; also stores the exponentials into e when kStore. Softmax sums 16-lane float partials
// per chunk (its outputs only need relative accuracy); log-softmax sums in double, because log(s) for s ≈ 1 is an
// output near 0 that a float sum would get wrong by ~1e-7 absolute.
// exp(x[j..j+16) - m) on the lanes in k (0 on the others), also stored into e when kStore.
template <bool kStore>
ATTEND_AVX512 inline __m512 exp_lanes(const float* x, float* e, int64_t j, __m512 m, __mmask16 k) {
  const __m512 v = _mm512_maskz_mov_ps(k, exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), m)));
  if constexpr (kStore) _mm512_mask_storeu_ps(e + j, k, v);
  return v;
}

ATTEND_AVX512 inline __m512d add_widened(__m512d acc, __m512 v) {
  return _mm512_add_pd(acc, _mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)),
                                          _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1))));
}

template <bool kStore, bool kDouble>
ATTEND_AVX512 double exp_sum(const float* x, float* e, int64_t cols, float max) {
  const __m512 m = _mm512_set1_ps(max);
  const __mmask16 all = first_lanes(kLanes);
  double total = 0.0;
  for (int64_t base = 0; base < cols; base += kSumChunk) {
    const int64_t end = std::min(cols, base + kSumChunk);
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512d d0 = _mm512_setzero_pd(), d1 = _mm512_setzero_pd();
    int64_t j = base;
    for (; j + 2 * kLanes <= end; j += 2 * kLanes) {
      const __m512 v0 = exp_lanes<kStore>(x, e, j, m, all);
      const __m512 v1 = exp_lanes<kStore>(x, e, j + kLanes, m, all);
      if constexpr (kDouble) {
        d0 = add_widened(d0, v0);
        d1 = add_widened(d1, v1);
      } else {
        s0 = _mm512_add_ps(s0, v0);
        s1 = _mm512_add_ps(s1, v1);
      }
    }
    for (; j < end; j += kLanes) {
      const __m512 v = exp_lanes<kStore>(x, e, j, m, first_lanes(std::min(kLanes, end - j)));
      if constexpr (kDouble) {
        d0 = add_widened(d0, v);
      } else {
        s0 = _mm512_add_ps(s0, v);
      }
    }
    if constexpr (kDouble) {
      total += _mm512_reduce_add_pd(_mm512_add_pd(d0, d1));
    } else {
      total += static_cast<double>(_mm512_reduce_add_ps(_mm512_add_ps(s0, s1)));
    }
  }
  return total;
}

// The three kinds of output row, as functors (not lambdas: every function that touches a 512-bit vector must carry
// the target attribute, or builds without -march=native fail).
struct Zeros {
  ATTEND_AVX512 __m512 operator()(int64_t /*j*/, __mmask16 /*k*/) const { return _mm512_setzero_ps(); }
};
struct Scaled {  // e · inv
  const float* e;
  float inv;
  ATTEND_AVX512 __m512 operator()(int64_t j, __mmask16 k) const {
    return _mm512_mul_ps(_mm512_maskz_loadu_ps(k, e + j), _mm512_set1_ps(inv));
  }
};
struct Shifted {  // (x - m) - ls
  const float* x;
  float m;
  float ls;
  ATTEND_AVX512 __m512 operator()(int64_t j, __mmask16 k) const {
    return _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), _mm512_set1_ps(m)), _mm512_set1_ps(ls));
  }
};

// y[j] = f(j-th vector) for the row, with non-temporal stores on the 64-byte-aligned middle when `stream`.
// f maps (pointer offset j, lane mask) to the vector of outputs.
template <class F>
ATTEND_AVX512 inline void store_row(float* y, int64_t cols, bool stream, const F& f) {
  int64_t j = 0;
  if (stream && reinterpret_cast<uintptr_t>(y) % sizeof(float) == 0) {
    const int64_t head = std::min<int64_t>(cols, ((64 - reinterpret_cast<uintptr_t>(y) % 64) % 64) / sizeof(float));
    if (head > 0) _mm512_mask_storeu_ps(y, first_lanes(head), f(0, first_lanes(head)));
    for (j = head; j + kLanes <= cols; j += kLanes) _mm512_stream_ps(y + j, f(j, first_lanes(kLanes)));
  } else {
    for (; j + kLanes <= cols; j += kLanes) _mm512_storeu_ps(y + j, f(j, first_lanes(kLanes)));
  }
  if (j < cols) _mm512_mask_storeu_ps(y + j, first_lanes(cols - j), f(j, first_lanes(cols - j)));
}

// One row. scratch (cols floats, may be null) holds the exponentials when the output is streamed.
ATTEND_AVX512 void one_row(const float* x, float* y, int64_t cols, bool log, bool stream, float* scratch) {
  const float m = row_max(x, cols);
  if (m == -std::numeric_limits<float>::infinity()) {  // all -inf (fully masked): zeros, never NaN
    store_row(y, cols, stream, Zeros{});
    return;
  }
  if (log) {
    // (x - m) ≤ 0 and log(s) ≥ 0: no cancellation, so float is as good as the naive double here.
    const double s = exp_sum<false, true>(x, nullptr, cols, m);
    store_row(y, cols, stream, Shifted{x, m, static_cast<float>(std::log(s))});
    return;
  }
  float* e = stream && scratch != nullptr ? scratch : y;
  const double s = exp_sum<true, false>(x, e, cols, m);
  store_row(y, cols, stream && e != y, Scaled{e, static_cast<float>(1.0 / s)});
}

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

}  // namespace

bool avx512_available() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return ok;
}

bool parallel_rows(int64_t rows, int64_t cols) {
  return parallel_worth(rows, rows * cols);
}

void softmax_rows_avx512(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  if (rows <= 0 || cols <= 0) return;
  const bool stream = x != y && rows * cols * static_cast<int64_t>(sizeof(float)) >= kStreamBytes;
  const auto make_scratch = [&] {
    std::unique_ptr<float, FreeDeleter> scratch;
    if (stream && !log) {
      const size_t bytes = (static_cast<size_t>(cols) * sizeof(float) + 63) / 64 * 64;
      scratch.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));  // null: write through y instead
    }
    return scratch;
  };
  if (!parallel_rows(rows, cols)) {  // no OpenMP region at all (see parallel_for in core/threads.hpp)
    const auto scratch = make_scratch();
    for (int64_t r = 0; r < rows; ++r) one_row(x + r * cols, y + r * cols, cols, log, stream, scratch.get());
    if (stream) _mm_sfence();
    return;
  }
#pragma omp parallel
  {
    const auto scratch = make_scratch();
    // Dynamic chunks of ~64 KiB: on a shared VM one thread often runs slower (its vCPU is busy elsewhere); the
    // other takes over its rows. Each row is still computed whole by one thread, so results do not change.
    const int64_t chunk = std::max<int64_t>(1, kChunkElements / cols);
#pragma omp for schedule(dynamic, chunk)
    for (int64_t r = 0; r < rows; ++r) one_row(x + r * cols, y + r * cols, cols, log, stream, scratch.get());
    if (stream) _mm_sfence();
  }
}

}  // namespace attend::kernels::detail
