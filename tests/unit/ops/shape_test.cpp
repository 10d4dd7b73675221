#include "attend/ops/shape.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/ops/elementwise.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;

Var iota_param(const Shape& shape) { return Var(Tensor::arange(numel(shape)).reshape(shape), true); }
std::vector<float> vec(const Tensor& t) { return t.to_vector<float>(); }

TEST(ShapeOp, ViewsShareStorageAndGradientsComeBackInTheInputShape) {
  Var x = iota_param({2, 3});
  const Var r = reshape(x, {3, 2});
  const Var t = transpose(x, 0, 1);
  const Var p = permute(unsqueeze(x, 0), {2, 0, 1});  // [3, 1, 2]
  EXPECT_EQ(r.value().storage(), x.value().storage());
  EXPECT_EQ(t.value().storage(), x.value().storage());
  EXPECT_EQ(p.shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(vec(p.value()), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  t.backward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2}));
  EXPECT_EQ(x.grad().shape(), (Shape{2, 3}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{1, 3, 5, 2, 4, 6}));
  x.zero_grad();
  p.backward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 1, 2}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{1, 3, 5, 2, 4, 6}));
}

TEST(ShapeOp, NarrowAndSelectSendZerosElsewhere) {
  Var x = iota_param({3, 4});
  const Var n = narrow(x, 1, 1, 2);
  EXPECT_EQ(vec(n.value()), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  n.backward(Tensor::ones({3, 2}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0}));
  Var y = iota_param({3, 4});
  const Var s = select(y, 0, -1);
  EXPECT_EQ(vec(s.value()), (std::vector<float>{8, 9, 10, 11}));
  s.backward(Tensor::full({4}, 2.0));
  EXPECT_EQ(vec(y.grad()), (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2}));
}

TEST(ShapeOp, ExpandGradientSumsTheCopies) {
  Var x = iota_param({3, 1});
  const Var e = expand(x, {2, 3, 4});
  EXPECT_EQ(e.value().stride(2), 0);
  e.backward(Tensor::ones({2, 3, 4}));
  EXPECT_EQ(x.grad().shape(), (Shape{3, 1}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{8, 8, 8}));
  Var z = iota_param({2, 1, 3});
  squeeze(z, 1).backward(Tensor::ones({2, 3}));
  EXPECT_EQ(z.grad().shape(), (Shape{2, 1, 3}));
}

TEST(ShapeOp, ConcatAndStackRouteGradientSlicesBack) {
  Var a = iota_param({2, 1});
  Var b = iota_param({2, 2});
  const Var c = concat({a, b}, 1);
  EXPECT_EQ(vec(c.value()), (std::vector<float>{0, 0, 1, 1, 2, 3}));
  c.backward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_EQ(vec(a.grad()), (std::vector<float>{1, 4}));
  EXPECT_EQ(vec(b.grad()), (std::vector<float>{2, 3, 5, 6}));

  Var p = iota_param({2});
  Var q(Tensor::full({2}, 7.0), true);
  const Var s = stack({p, q}, 1);  // [2, 2]
  EXPECT_EQ(vec(s.value()), (std::vector<float>{0, 7, 1, 7}));
  s.backward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  EXPECT_EQ(vec(p.grad()), (std::vector<float>{1, 3}));
  EXPECT_EQ(vec(q.grad()), (std::vector<float>{2, 4}));
}

TEST(ShapeOp, SplitAndChunkPieceSizesFollowTorch) {
  const Var x = iota_param({2, 7});
  const auto pieces = split(x, 3, 1);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(pieces[2].shape(), (Shape{2, 1}));
  EXPECT_EQ(vec(pieces[2].value()), (std::vector<float>{6, 13}));
  EXPECT_EQ(chunk(x, 2, 1).size(), 2u);           // widths 4, 3
  EXPECT_EQ(chunk(x, 2, 1)[1].size(1), 3);
  EXPECT_EQ(chunk(iota_param({6}), 4, 0).size(), 3u);  // torch.chunk(6, 4): pieces of 2, so 3 of them
  EXPECT_EQ(chunk(iota_param({3}), 5, 0).size(), 3u);
}

TEST(ShapeOp, SplitPiecesAccumulateIntoOneGradient) {
  Var x = iota_param({1, 5});
  const auto p = chunk(x, 2, -1);  // widths 3, 2
  const Var y = concat({mul(p[1], 10.0), p[0]}, 1);
  y.backward(Tensor::ones({1, 5}));
  EXPECT_EQ(vec(x.grad()), (std::vector<float>{1, 1, 1, 10, 10}));
}

TEST(ShapeOp, ErrorsNameTheOpAndShape) {
  const Var x(Tensor::zeros({2, 3}));
  EXPECT_THAT(error_of([&] { reshape(x, {4, 2}); }),
              HasSubstr("reshape: cannot reshape [2, 3] (6 elements) into [4, 2]"));
  EXPECT_THAT(error_of([&] { transpose(x, 0, 2); }), HasSubstr("transpose: dim 2 out of range"));
  EXPECT_THAT(error_of([&] { permute(x, {1, 1}); }), HasSubstr("permute: dim 1 appears twice"));
  EXPECT_THAT(error_of([&] { narrow(x, 1, 2, 2); }),
              HasSubstr("narrow: [2, 4) out of range for dim 1 with extent 3 (input shape [2, 3])"));
  EXPECT_THAT(error_of([&] { select(x, 0, 2); }),
              HasSubstr("select: index 2 out of range for dim 0 with extent 2 (input shape [2, 3])"));
  EXPECT_THAT(error_of([&] { expand(x, {2, 4}); }), HasSubstr("expand: shape [2, 3] cannot be expanded to [2, 4]"));
  EXPECT_THAT(error_of([&] { squeeze(x, 1); }), HasSubstr("squeeze: dim 1 of shape [2, 3] has extent 3, not 1"));
  EXPECT_THAT(error_of([&] { unsqueeze(x, 3); }), HasSubstr("unsqueeze: dim 3 out of range"));
  EXPECT_THAT(error_of([&] { concat({x, Var(Tensor::zeros({3, 3}))}, 1); }),
              HasSubstr("concat: input 1 has shape [3, 3] but input 0 has shape [2, 3]"));
  EXPECT_THAT(error_of([&] { concat({}, 0); }), HasSubstr("concat: no inputs given"));
  EXPECT_THAT(error_of([&] { concat({x, Var(Tensor::zeros({2, 3}, DType::f64))}, 0); }),
              HasSubstr("concat: input 1 is f64 but input 0 is f32"));
  EXPECT_THAT(error_of([&] { stack({x, Var(Tensor::zeros({2, 2}))}, 0); }),
              HasSubstr("stack: input 1 has shape [2, 2] but input 0 has shape [2, 3] (all must match)"));
  EXPECT_THAT(error_of([&] { stack({x}, 3); }), HasSubstr("stack: dim 3 out of range"));
  EXPECT_THAT(error_of([&] { split(x, 0, 1); }), HasSubstr("split: size must be positive, got 0"));
  EXPECT_THAT(error_of([&] { chunk(x, 0, 1); }), HasSubstr("chunk: chunks must be positive, got 0"));
  EXPECT_THAT(error_of([&] { reshape(Var(), {1}); }), HasSubstr("reshape: input is undefined"));
}

}  // namespace
}  // namespace attend
