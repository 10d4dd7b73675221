// row_gemm (the recurrent steps' small-M GEMM) against row_gemm_naive: row counts around the 6-row blocks, column
// counts around the 64-wide panels and the 16-lane tails, K = 0, 1 and large, B packed as stored and from its
// transpose, leading dimensions wider than the operands, overwrite and accumulate; columns outside [0, N) untouched;
// 1 vs 2 threads bitwise equal.
#include "attend/tensor/kernels/row_gemm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "attend/core/threads.hpp"

namespace attend::kernels {
namespace {

struct Problem {
  int64_t m, n, k;
  std::vector<float> a, b, c;
  int64_t lda, ldb, ldc;
};

// A [m, k] in rows of k + 3, B [k, n] in rows of n + 5, C [m, n] in rows of n + 2 (the padding must stay as it is).
Problem make(int64_t m, int64_t n, int64_t k, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0F, 1.0F);
  Problem p{m, n, k, {}, {}, {}, k + 3, n + 5, n + 2};
  auto fill = [&](std::vector<float>& v, int64_t size) {
    v.resize(static_cast<size_t>(size));
    for (float& x : v) x = u(gen);
  };
  fill(p.a, m * p.lda);
  fill(p.b, std::max<int64_t>(k, 1) * p.ldb);
  fill(p.c, m * p.ldc);
  return p;
}

// Through row_gemm on B packed (as stored, or packed from its transpose when `transposed_source`), or the naive loops.
std::vector<float> run(const Problem& p, bool accumulate, bool naive, bool transposed_source = false) {
  std::vector<float> c = p.c;
  if (naive) {
    row_gemm_naive(p.m, p.n, p.k, p.a.data(), p.lda, p.b.data(), p.ldb, c.data(), p.ldc, accumulate);
    return c;
  }
  std::vector<float> packed(static_cast<size_t>(row_gemm_packed_size(p.k, p.n)), -7.0F);
  if (transposed_source) {  // Bᵀ stored [n, k], packed back through the strides
    std::vector<float> bt(static_cast<size_t>(std::max<int64_t>(p.n * p.k, 1)));
    for (int64_t k = 0; k < p.k; ++k)
      for (int64_t j = 0; j < p.n; ++j) bt[static_cast<size_t>(j * p.k + k)] = p.b[static_cast<size_t>(k * p.ldb + j)];
    row_gemm_pack(p.k, p.n, bt.data(), 1, p.k, packed.data());
  } else {
    row_gemm_pack(p.k, p.n, p.b.data(), p.ldb, 1, packed.data());
  }
  row_gemm(p.m, p.n, p.k, p.a.data(), p.lda, packed.data(), c.data(), p.ldc, accumulate);
  return c;
}

TEST(RowGemm, MatchesTheNaiveLoops) {
  for (int64_t m : {1, 5, 6, 7, 13, 32})
    for (int64_t n : {1, 15, 16, 17, 64, 65, 130})
      for (int64_t k : {0, 1, 9, 300})
        for (bool accumulate : {false, true}) {
          const Problem p = make(m, n, k, static_cast<unsigned>(m * 1000 + n * 10 + k));
          const std::vector<float> want = run(p, accumulate, true), got = run(p, accumulate, false);
          ASSERT_EQ(run(p, accumulate, false, true), got) << "packing a transposed view differs";
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < p.ldc; ++j) {
              const size_t at = static_cast<size_t>(i * p.ldc + j);
              if (j >= n) {  // outside C: untouched
                ASSERT_EQ(got[at], p.c[at]) << "m " << m << " n " << n << " k " << k << " padding column " << j;
                continue;
              }
              ASSERT_NEAR(got[at], want[at], 1e-5 * (1.0 + std::sqrt(static_cast<double>(k))))
                  << "m " << m << " n " << n << " k " << k << " accumulate " << accumulate << " at " << i << ", " << j;
            }
        }
}

TEST(RowGemm, OneAndTwoThreadsAreBitwiseEqual) {
  const int before = num_threads();
  const Problem p = make(32, 2048, 512, 3);  // an LSTM step: batch 32, 4·512 gates, hidden 512
  set_num_threads(1);
  const std::vector<float> one = run(p, true, false);
  set_num_threads(2);
  const std::vector<float> two = run(p, true, false);
  set_num_threads(before);
  EXPECT_EQ(one, two);
}

}  // namespace
}  // namespace attend::kernels
