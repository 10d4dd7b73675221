#include "attend/tensor/indexing.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/core/threads.hpp"
#include "attend/tensor/elementwise.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;
using testing::bitwise_equal;

Tensor iota(const Shape& shape, DType dtype = DType::f32) { return Tensor::arange(numel(shape), dtype).reshape(shape); }
Tensor ids(const std::vector<int64_t>& values) {
  return Tensor::from_vector(values, {static_cast<int64_t>(values.size())});
}

// Restores the thread count when a test ends, even on failure.
struct ThreadCountGuard {
  int saved = num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

TEST(Concat, JoinsAlongAnyDimIncludingNonContiguousInputs) {
  const Tensor a = iota({2, 2});                              // [[0, 1], [2, 3]]
  const Tensor b = iota({3, 2}).transpose(0, 1);              // [[0, 2, 4], [1, 3, 5]]
  EXPECT_EQ(concat({a, b}, 1).to_vector<float>(), (std::vector<float>{0, 1, 0, 2, 4, 2, 3, 1, 3, 5}));
  EXPECT_EQ(concat({a, a * 10.0}, 0).to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 0, 10, 20, 30}));
  EXPECT_EQ(concat({a, Tensor::zeros({2, 0}), a}, -1).shape(), (Shape{2, 4}));
  EXPECT_EQ(concat({ids({3}), ids({4, 5})}, 0).to_vector<int64_t>(), (std::vector<int64_t>{3, 4, 5}));
}

TEST(Concat, RejectsMismatchedInputs) {
  EXPECT_THAT(error_of([] { concat({}, 0); }), HasSubstr("concat: no tensors given"));
  EXPECT_THAT(error_of([] { concat({Tensor::zeros({2, 3}), Tensor::zeros({3, 3})}, 1); }),
              HasSubstr("input 1 has shape [3, 3] but input 0 has shape [2, 3] (all dims except dim 1 must match)"));
  EXPECT_THAT(error_of([] { concat({Tensor::zeros({2}), Tensor::zeros({2}, DType::f64)}, 0); }),
              HasSubstr("concat: input 1 is f64 but input 0 is f32"));
  EXPECT_THAT(error_of([] { concat({Tensor::zeros({2})}, 1); }), HasSubstr("concat: dim 1 out of range"));
  EXPECT_THAT(error_of([] { concat({Tensor::zeros({2}), Tensor()}, 0); }), HasSubstr("input 1 is undefined"));
}

TEST(IndexSelect, PicksRowsColumnsAndRepeats) {
  const Tensor w = iota({4, 3});  // the embedding table: row v is [3v, 3v + 1, 3v + 2]
  EXPECT_EQ(index_select(w, 0, ids({2, 0, 2})).to_vector<float>(), (std::vector<float>{6, 7, 8, 0, 1, 2, 6, 7, 8}));
  EXPECT_EQ(index_select(w, 1, ids({2, 2, 0})).to_vector<float>(),
            (std::vector<float>{2, 2, 0, 5, 5, 3, 8, 8, 6, 11, 11, 9}));
  EXPECT_EQ(index_select(w.transpose(0, 1), 0, ids({1})).to_vector<float>(), (std::vector<float>{1, 4, 7, 10}));
  EXPECT_EQ(index_select(w, 0, ids({})).shape(), (Shape{0, 3}));
  const Tensor x = iota({2, 3, 2}, DType::i64);
  EXPECT_EQ(index_select(x, 1, ids({2})).to_vector<int64_t>(), (std::vector<int64_t>{4, 5, 10, 11}));
}

TEST(IndexSelect, OutOfRangeAndWrongDtypesThrowNamingTheIndex) {
  const Tensor w = iota({5, 3});
  EXPECT_THAT(error_of([&] { index_select(w, 0, ids({1, 4, 7, 0})); }),
              HasSubstr("index_select: index 7 at position 2 is out of range for dim 0 with extent 5 "
                        "(input shape [5, 3])"));
  EXPECT_THAT(error_of([&] { index_select(w, 1, ids({-1})); }), HasSubstr("index -1 at position 0"));
  EXPECT_THAT(error_of([&] { index_select(w, 0, Tensor::zeros({2})); }),
              HasSubstr("index_select: index must be i64, got f32"));
  EXPECT_THAT(error_of([&] { index_select(w, 0, Tensor::zeros({2, 1}, DType::i64)); }),
              HasSubstr("index must be 1-D, got shape [2, 1]"));
  EXPECT_THAT(error_of([&] { index_select(w, 2, ids({0})); }), HasSubstr("index_select: dim 2 out of range"));
}

TEST(IndexAdd, RepeatedIndicesAccumulate) {
  const Tensor dst = Tensor::zeros({3, 2});
  index_add_(dst, 0, ids({2, 0, 2}), iota({3, 2}) + 1.0);  // rows [1, 2], [3, 4], [5, 6]
  EXPECT_EQ(dst.to_vector<float>(), (std::vector<float>{3, 4, 0, 0, 6, 8}));
  const Tensor cols = Tensor::ones({2, 3}, DType::f64);
  index_add_(cols, 1, ids({1, 1}), Tensor::full({2, 2}, 0.5, DType::f64));
  EXPECT_EQ(cols.to_vector<double>(), (std::vector<double>{1, 2, 1, 1, 2, 1}));
}

TEST(IndexAdd, RejectsBadArguments) {
  const Tensor dst = Tensor::zeros({3, 2});
  EXPECT_THAT(error_of([&] { index_add_(dst, 0, ids({0, 3}), Tensor::zeros({2, 2})); }),
              HasSubstr("index_add_: index 3 at position 1 is out of range for dim 0 with extent 3"));
  EXPECT_THAT(error_of([&] { index_add_(dst, 0, ids({0}), Tensor::zeros({2, 2})); }),
              HasSubstr("index_add_: src shape [2, 2] must be [1, 2]"));
  EXPECT_THAT(error_of([&] { index_add_(dst.transpose(0, 1), 0, ids({0}), Tensor::zeros({1, 3})); }),
              HasSubstr("dst must be contiguous"));
  EXPECT_THAT(error_of([&] { index_add_(dst, 0, ids({0}), Tensor::zeros({1, 2}, DType::f64)); }),
              HasSubstr("src is f64 but dst is f32"));
}

TEST(IndexAdd, IsBitwiseIdenticalWithOneAndTwoThreads) {
  ThreadCountGuard guard;
  Rng rng(3);
  const Tensor src = Tensor::randn({4096, 96}, rng);
  std::vector<int64_t> v(4096);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>((i * 7919) % 50);  // many repeats per row
  const Tensor index = ids(v);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Tensor dst = Tensor::zeros({50, 96});
    index_add_(dst, 0, index, src);
    return dst;
  };
  const Tensor one = run(1), two = run(2);
  EXPECT_TRUE(bitwise_equal(one, two));
  // Row 0 collects src rows 0, 50, 100, ... in increasing order: a serial reference sums the same way.
  float expect = 0.0f;
  for (int64_t i = 0; i < 4096; ++i) {
    if (v[i] == 0) expect += static_cast<float>(src.at({i, 5}));
  }
  EXPECT_EQ(static_cast<float>(one.at({0, 5})), expect);
}

TEST(Gather, PicksAlongDimAndScatterAddIsItsAdjoint) {
  const Tensor x = iota({2, 3});  // [[0, 1, 2], [3, 4, 5]]
  const Tensor index = Tensor::from_vector(std::vector<int64_t>{2, 2, 0, 1}, {2, 2});
  EXPECT_EQ(gather(x, 1, index).to_vector<float>(), (std::vector<float>{2, 2, 3, 4}));
  EXPECT_EQ(gather(x.transpose(0, 1), 0, index).to_vector<float>(), (std::vector<float>{2, 5, 0, 4}));
  const Tensor dst = Tensor::zeros({2, 3});
  scatter_add_(dst, 1, index, Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  EXPECT_EQ(dst.to_vector<float>(), (std::vector<float>{0, 0, 3, 3, 4, 0}));
  const Tensor rows = Tensor::zeros({3, 2});
  scatter_add_(rows, 0, Tensor::from_vector(std::vector<int64_t>{2, 0, 2, 2}, {2, 2}), Tensor::ones({2, 2}));
  EXPECT_EQ(rows.to_vector<float>(), (std::vector<float>{0, 1, 0, 0, 2, 1}));
}

TEST(Gather, RejectsBadIndices) {
  const Tensor x = iota({2, 3});
  EXPECT_THAT(error_of([&] { gather(x, 1, Tensor::from_vector(std::vector<int64_t>{0, 1, 3, 0}, {2, 2})); }),
              HasSubstr("gather: index 3 at position [1, 0] is out of range for dim 1 with extent 3"));
  EXPECT_THAT(error_of([&] { gather(x, 1, ids({0})); }), HasSubstr("gather: index must have the rank of input (2)"));
  EXPECT_THAT(error_of([&] { gather(x, 1, Tensor::zeros({3, 1}, DType::i64)); }),
              HasSubstr("index.shape[0] must not exceed input.shape[0] (got 3 > 2)"));
  EXPECT_THAT(error_of([&] { gather(x, 0, Tensor::zeros({1, 1}, DType::u8)); }),
              HasSubstr("index must be i64, got u8"));
  EXPECT_THAT(error_of([&] { scatter_add_(Tensor::zeros({2}), 0, ids({2}), Tensor::ones({1})); }),
              HasSubstr("scatter_add_: index 2 at position 0 is out of range for dim 0 with extent 2"));
  EXPECT_THAT(error_of([&] { scatter_add_(Tensor::zeros({2}), 0, ids({0, 1}), Tensor::ones({1})); }),
              HasSubstr("index.shape[0] must not exceed src.shape[0]"));
}

TEST(MaskedFill, FillsWhereTheBroadcastMaskIsSet) {
  const Tensor x = iota({2, 3});
  const Tensor row_mask = Tensor::from_vector(std::vector<uint8_t>{0, 1, 1}, {3});
  EXPECT_EQ(masked_fill(x, row_mask, -1.0).to_vector<float>(), (std::vector<float>{0, -1, -1, 3, -1, -1}));
  const Tensor col_mask = Tensor::from_vector(std::vector<uint8_t>{1, 0}, {2, 1});
  EXPECT_EQ(masked_fill(x.transpose(0, 1), row_mask.unsqueeze(1), 9.0).to_vector<float>(),
            (std::vector<float>{0, 3, 9, 9, 9, 9}));
  EXPECT_EQ(masked_fill(iota({2, 3}, DType::i64), col_mask, 7.0).to_vector<int64_t>(),
            (std::vector<int64_t>{7, 7, 7, 3, 4, 5}));
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));  // the input is untouched
}

TEST(MaskedFill, RejectsBadMasks) {
  const Tensor x = iota({2, 3});
  EXPECT_THAT(error_of([&] { masked_fill(x, Tensor::ones({3}), 0.0); }),
              HasSubstr("masked_fill: mask must be u8, got f32 with shape [3] (input shape [2, 3])"));
  EXPECT_THAT(error_of([&] { masked_fill(x, Tensor::ones({2, 2, 3}, DType::u8), 0.0); }),
              HasSubstr("mask shape [2, 2, 3] does not broadcast to input shape [2, 3]"));
  EXPECT_THAT(error_of([&] { masked_fill(x, Tensor::ones({2}, DType::u8), 0.0); }),
              HasSubstr("masked_fill: shapes [2] and [2, 3] do not broadcast"));
}

}  // namespace
}  // namespace attend
