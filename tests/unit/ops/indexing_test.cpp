// Differentiable index_select, gather, masked_fill and where (declared in ops/shape.hpp, defined in ops/indexing.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/ops/shape.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;

Var iota_param(const Shape& shape) { return Var(Tensor::arange(numel(shape)).reshape(shape), true); }
std::vector<float> vec(const Tensor& t) { return t.to_vector<float>(); }
Tensor ids(const std::vector<int64_t>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }
Tensor mask(const std::vector<uint8_t>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }

TEST(IndexSelectOp, EmbeddingLookupAndRepeatedIdsAccumulate) {
  Var weight = iota_param({4, 2});  // row v is [2v, 2v + 1]
  const Var rows = index_select(weight, 0, ids({3, 1, 3}, {3}));
  EXPECT_EQ(vec(rows.value()), (std::vector<float>{6, 7, 2, 3, 6, 7}));
  rows.backward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2}));
  EXPECT_EQ(vec(weight.grad()), (std::vector<float>{0, 0, 3, 4, 0, 0, 6, 8}));  // row 3 gets 1+5, 2+6
}

TEST(IndexSelectOp, OtherDims) {
  Var x = iota_param({2, 3});
  const Var y = index_select(x, -1, ids({2, 2}, {2}));
  EXPECT_EQ(vec(y.value()), (std::vector<float>{2, 2, 5, 5}));
  y.backward(Tensor::ones({2, 2}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{0, 0, 2, 0, 0, 2}));
}

TEST(IndexSelectOp, ErrorsNameTheBadIndex) {
  const Var w(Tensor::zeros({5, 4}));
  EXPECT_THAT(error_of([&] { index_select(w, 0, ids({0, 5}, {2})); }),
              HasSubstr("index_select: index 5 at position 1 is out of range for dim 0 with extent 5 "
                        "(input shape [5, 4])"));
  EXPECT_THAT(error_of([&] { index_select(w, 0, Tensor::zeros({2}, DType::f64)); }),
              HasSubstr("index_select: index must be i64, got f64"));
  EXPECT_THAT(error_of([&] { index_select(Var(), 0, ids({0}, {1})); }), HasSubstr("index_select: input is undefined"));
}

TEST(GatherOp, PicksPerRowAndScattersTheGradientBack) {
  Var x = iota_param({2, 3});  // [[0, 1, 2], [3, 4, 5]]
  const Var y = gather(x, 1, ids({2, 0, 1, 1}, {2, 2}));
  EXPECT_EQ(vec(y.value()), (std::vector<float>{2, 0, 4, 4}));
  y.backward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{2, 0, 1, 0, 7, 0}));
  EXPECT_THAT(error_of([&] { gather(x, 1, ids({0, 3}, {1, 2})); }),
              HasSubstr("gather: index 3 at position [0, 1] is out of range for dim 1 with extent 3"));
}

TEST(MaskedFillOp, FilledPositionsGetNoGradient) {
  Var x = iota_param({2, 2});
  const Var y = masked_fill(x, mask({0, 1}, {2}), -INFINITY);
  EXPECT_EQ(vec(y.value()), (std::vector<float>{0, -INFINITY, 2, -INFINITY}));
  y.backward(Tensor::full({2, 2}, 3.0));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{3, 0, 3, 0}));
  EXPECT_THAT(error_of([&] { masked_fill(x, Tensor::ones({2}, DType::i64), 0.0); }),
              HasSubstr("masked_fill: mask must be u8, got i64"));
}

TEST(WhereOp, GradientGoesToTheChosenSideAndIsSummedToItsShape) {
  Var a = iota_param({2, 1});           // broadcast over columns
  Var b(Tensor::full({3}, -1.0), true);  // broadcast over rows
  const Var y = where(mask({1, 0, 1, 0, 0, 1}, {2, 3}), a, b);
  EXPECT_EQ(vec(y.value()), (std::vector<float>{0, -1, 0, -1, -1, 1}));
  y.backward(Tensor::ones({2, 3}));
  EXPECT_EQ(vec(a.grad()), (std::vector<float>{2, 1}));
  EXPECT_EQ(vec(b.grad()), (std::vector<float>{1, 2, 0}));
  EXPECT_THAT(error_of([&] { where(mask({1}, {1}), a, Var(Tensor::zeros({1}, DType::f64))); }),
              HasSubstr("where: a is f32 but b is f64"));
  EXPECT_THAT(error_of([&] { where(Tensor::ones({2, 3}), a, b); }), HasSubstr("where: cond must be u8"));
}

}  // namespace
}  // namespace attend
