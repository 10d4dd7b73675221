// The thread count: one OpenMP pool for attend's loops and its GEMM panels (OpenBLAS itself runs single-threaded).
//
// Results do not depend on the thread count: every reduction has a fixed order, so 1 and 2 threads give
// bitwise-equal results. Usage: attend::set_num_threads(2);
#pragma once

#include <cstdint>

namespace attend {

/// Work (elements, or multiply-adds for products) below which a loop stays on one thread. A parallel region costs a
/// few µs on a quiet machine, but milliseconds when the other core is busy with another process: small ops run alone.
inline constexpr int64_t kParallelWork = int64_t{1} << 17;

/// True when a loop over `items` independent pieces totalling `work` should use the thread pool: items > 1,
/// work >= kParallelWork and not already inside a parallel region. The split never changes results.
bool parallel_worth(int64_t items, int64_t work);

/// Runs body(i) for i in [0, n): on the thread pool when `parallel` (static schedule), else as a plain loop on the
/// calling thread. The plain loop never enters an OpenMP region: even a region whose `if` clause is false makes
/// libgomp allocate and free a team, which cost ~5% of a training step of the demo's small model (perf).
template <class Body>
void parallel_for(int64_t n, bool parallel, Body&& body) {
  if (!parallel) {
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) body(i);
}

/// Sets the threads used by attend's kernels and by OpenBLAS. n >= 1; throws attend::Error otherwise.
void set_num_threads(int n);
/// The current thread count (initially OpenMP's default: OMP_NUM_THREADS or the number of cores).
int num_threads();

}  // namespace attend
