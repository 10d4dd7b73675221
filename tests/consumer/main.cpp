// The consumer check: build tensors, run a BLAS product and a differentiable op, backpropagate, compare with values
// worked out by hand. Exits 1 on a mismatch (the e2e test reads the exit code).
#include <attend/attend.hpp>  // the umbrella header: every public header must compile on its own here

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

int failures = 0;

void expect_near(const char* what, const std::vector<float>& got, const std::vector<float>& want) {
  bool ok = got.size() == want.size();
  for (size_t i = 0; ok && i < got.size(); ++i) ok = std::fabs(got[i] - want[i]) <= 1e-5f;
  if (!ok) {
    std::fprintf(stderr, "attend_consumer: %s: mismatch\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  using attend::Tensor;
  using attend::Var;

  // matmul through OpenBLAS: [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  const Tensor b = Tensor::from_vector<float>({5, 6, 7, 8}, {2, 2});
  expect_near("matmul", attend::matmul(a, b).to_vector<float>(), {19, 22, 43, 50});

  // y = x * x, backward with a ones seed: dy/dx = 2x
  Var x(Tensor::from_vector<float>({1, -2, 3}, {3}), /*requires_grad=*/true);
  Var y = x * x;
  expect_near("mul forward", y.value().to_vector<float>(), {1, 4, 9});
  y.backward(Tensor::ones({3}));
  expect_near("mul backward", x.grad().to_vector<float>(), {2, -4, 6});

  // bad input is an attend::Error, not a crash
  bool threw = false;
  try {
    attend::matmul(a, Tensor::zeros({3, 2}));
  } catch (const attend::Error&) {
    threw = true;
  }
  if (!threw) {
    std::fprintf(stderr, "attend_consumer: matmul of [2, 2] and [3, 2] did not throw\n");
    ++failures;
  }

  if (failures == 0) std::printf("attend_consumer: ok\n");
  return failures == 0 ? 0 : 1;
}
