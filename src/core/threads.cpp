#include "attend/core/threads.hpp"

#include <omp.h>

#include "attend/core/error.hpp"

extern "C" void openblas_set_num_threads(int num_threads);

namespace attend {

void set_num_threads(int n) {
  ATTEND_CHECK(n >= 1, "set_num_threads: n must be at least 1, got {}", n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

bool parallel_worth(int64_t items, int64_t work) { return items > 1 && work >= kParallelWork && !omp_in_parallel(); }

}  // namespace attend
