// The thread count: one OpenMP pool for attend's loops and its GEMM panels (OpenBLAS itself runs single-threaded).
//
// Results do not depend on the thread count: every reduction has a fixed order, so 1 and 2 threads give
// bitwise-equal results. Usage: attend::set_num_threads(2);
#pragma once

namespace attend {

/// Sets the threads used by attend's kernels and by OpenBLAS. n >= 1; throws attend::Error otherwise.
void set_num_threads(int n);
/// The current thread count (initially OpenMP's default: OMP_NUM_THREADS or the number of cores).
int num_threads();

}  // namespace attend
