// Results do not depend on the thread count: a representative forward and backward run with 1 and with 2 threads
// must give bitwise-equal tensors (design.md, "Numerics and determinism").
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "attend/core/threads.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"
#include "attend/tensor/elementwise.hpp"
#include "attend/tensor/indexing.hpp"
#include "attend/tensor/linalg.hpp"
#include "attend/tensor/reduce.hpp"
#include "attend/tensor/softmax.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::bitwise_equal;
using Named = std::vector<std::pair<std::string, Tensor>>;

struct ThreadCountGuard {
  int saved = num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

// Large enough that BLAS, the strided loops and the reductions all take their multi-threaded paths.
Named no_grad_math(int threads) {
  set_num_threads(threads);
  Rng rng(11);
  const Tensor a = Tensor::randn({256, 512}, rng), b = Tensor::randn({512, 384}, rng);
  const Tensor qa = Tensor::randn({64, 16, 32}, rng), kb = Tensor::randn({64, 16, 32}, rng);
  const Tensor x = Tensor::randn({512, 384}, rng), bias = Tensor::randn({384}, rng);
  Named out;
  out.emplace_back("matmul 256x512x384", matmul(a, b));
  out.emplace_back("matmul transposed operands", matmul(b.transpose(0, 1), a.transpose(0, 1)));
  out.emplace_back("batched small matmul", matmul(qa, kb.transpose(-1, -2)));  // [64, 16, 16]
  out.emplace_back("elementwise", tanh(x + bias) * sigmoid(x) + gelu(x));
  out.emplace_back("sum rows", sum(x, {-1}));
  out.emplace_back("sum columns", sum(x, {0}));
  out.emplace_back("sum all", sum(x));
  out.emplace_back("mean", mean(x, {0, 1}));
  out.emplace_back("logsumexp", logsumexp(x, {-1}));
  out.emplace_back("softmax", softmax(x, -1));
  out.emplace_back("softmax dim 0", softmax(x, 0));
  out.emplace_back("log_softmax", log_softmax(x, -1));
  return out;
}

// An embedding, a linear layer, attention-like scores and a softmax, then backward through all of it.
Named forward_backward(int threads) {
  set_num_threads(threads);
  Rng rng(12);
  Var embedding(Tensor::randn({1000, 64}, rng), true);
  Var weight(Tensor::randn({128, 64}, rng, DType::f32, 0.0, 0.1), true);
  Var bias(Tensor::randn({128}, rng), true);
  std::vector<int64_t> ids(4096);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>((i * 7919 + 13) % 300);  // repeats
  const Tensor index = Tensor::from_vector(ids, {4096});

  const Var e = reshape(index_select(embedding, 0, index), {32, 128, 64});  // [B, T, C]
  const Var h = tanh(linear(e, weight, bias));                                  // [B, T, 2C]
  const Var scores = matmul(h, transpose(h, -1, -2));                           // [B, T, T]
  const Var w = softmax(mul(scores, 0.125), -1);                                // [B, T, T]
  const Var loss = sum(mul(matmul(w, h), Var(Tensor::randn({32, 128, 128}, rng))));
  loss.backward();
  return {{"loss", loss.value()},       {"attention", w.value()},       {"embedding grad", embedding.grad()},
          {"weight grad", weight.grad()}, {"bias grad", bias.grad()}};
}

void expect_same(const Named& one, const Named& two) {
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    ASSERT_TRUE(one[i].second.defined()) << one[i].first;
    EXPECT_TRUE(bitwise_equal(one[i].second, two[i].second)) << one[i].first;
  }
}

TEST(Determinism, NoGradMathIsBitwiseEqualWithOneAndTwoThreads) {
  ThreadCountGuard guard;
  const Named one = no_grad_math(1);
  const Named two = no_grad_math(2);
  EXPECT_EQ(num_threads(), 2);
  expect_same(one, two);
}

TEST(Determinism, ForwardAndBackwardAreBitwiseEqualWithOneAndTwoThreads) {
  ThreadCountGuard guard;
  const Named one = forward_backward(1);
  const Named two = forward_backward(2);
  expect_same(one, two);
  // The embedding gradient is non-zero exactly on the 300 rows that were looked up.
  const Tensor row_norms = sum(one[2].second * one[2].second, {-1});
  EXPECT_GT(row_norms.at({299}), 0.0);
  EXPECT_EQ(row_norms.at({300}), 0.0);
}

}  // namespace
}  // namespace attend
