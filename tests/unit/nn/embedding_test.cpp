#include "attend/nn/embedding.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "test_util.hpp"

namespace attend::nn {
namespace {

Tensor ids(const std::vector<int64_t>& v, const Shape& shape) { return Tensor::from_vector<int64_t>(v, shape); }

TEST(EmbeddingModule, LooksUpRowsForAnyIdShape) {
  Embedding e({.num_embeddings = 3, .embedding_dim = 2});
  e.load_state_dict({{"weight", Tensor::from_vector<float>({0, 1, 10, 11, 20, 21}, {3, 2})}});
  Var y = e.forward(ids({2, 0, 1, 2}, {2, 2}));
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(y.value().to_vector<float>(), (std::vector<float>{20, 21, 0, 1, 10, 11, 20, 21}));
  EXPECT_EQ(e.forward(ids({1}, {})).shape(), (Shape{2}));  // a 0-d id gives one vector
  EXPECT_EQ(e.forward(ids({}, {0, 4})).shape(), (Shape{0, 4, 2}));
}

TEST(EmbeddingModule, RepeatedIdsAccumulateGradient) {
  Embedding e({.num_embeddings = 3, .embedding_dim = 2});
  sum(e.forward(ids({1, 1, 2}, {3}))).backward();
  EXPECT_EQ(e.weight().grad().to_vector<float>(), (std::vector<float>{0, 0, 2, 2, 1, 1}));
}

TEST(EmbeddingModule, PaddingRowGetsNoGradientButKeepsItsValue) {
  Embedding e({.num_embeddings = 4, .embedding_dim = 2, .padding_idx = 1});
  e.load_state_dict({{"weight", Tensor::from_vector<float>({0, 1, 5, 6, 20, 21, 30, 31}, {4, 2})}});
  Var y = e.forward(ids({1, 2, 1, 3}, {2, 2}));
  EXPECT_EQ(y.value().to_vector<float>(), (std::vector<float>{5, 6, 20, 21, 5, 6, 30, 31}));
  sum(mul(y, y)).backward();
  EXPECT_EQ(e.weight().grad().to_vector<float>(), (std::vector<float>{0, 0, 0, 0, 40, 42, 60, 62}));
}

TEST(EmbeddingModule, InitIsStandardNormalWithZeroPaddingRow) {
  Embedding e({.num_embeddings = 200, .embedding_dim = 50, .padding_idx = 3, .seed = 11});
  const Tensor w = e.weight().value();
  EXPECT_EQ(w.select(0, 3).to_vector<float>(), std::vector<float>(50, 0.0f));
  const auto v = w.to_vector<double>();
  double mean = 0, sq = 0;
  for (double x : v) mean += x, sq += x * x;
  mean /= static_cast<double>(v.size());
  const double var = sq / static_cast<double>(v.size()) - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(var, 1.0, 0.05);
}

TEST(EmbeddingModule, BadIdsAndOptionsThrowNamingThem) {
  Embedding e({.num_embeddings = 3, .embedding_dim = 2});
  try {
    e.forward(ids({0, 3}, {2}));
    FAIL();
  } catch (const Error& err) {
    EXPECT_THAT(err.what(), ::testing::HasSubstr("id 3 at flat position 1 is outside [0, 3)"));
  }
  EXPECT_THROW(e.forward(ids({-1}, {1})), Error);
  EXPECT_THROW(e.forward(Tensor::zeros({2})), Error);  // f32 ids
  EXPECT_THROW(Embedding({.num_embeddings = 3, .embedding_dim = 2, .padding_idx = 3}), Error);
}

}  // namespace
}  // namespace attend::nn
