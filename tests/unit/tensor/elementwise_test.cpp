#include "attend/tensor/elementwise.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.hpp"

namespace attend {
namespace {

using testing::all_close;
using ::testing::HasSubstr;

Tensor vec(std::vector<double> v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}); }

TEST(TensorElementwise, UnaryValues) {
  const Tensor x = vec({-2.0, -0.5, 0.0, 0.5, 2.0});
  EXPECT_TRUE(all_close(relu(x), vec({0, 0, 0, 0.5, 2})));
  EXPECT_TRUE(all_close(tanh(x), vec({std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(0.5), std::tanh(2.0)}), 1e-15));
  EXPECT_TRUE(all_close(sigmoid(x), vec({1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(0.5)), 0.5,
                                         1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-2.0))}), 1e-15));
  // GELU(x) = x Φ(x); Φ(2) = 0.9772498680518208.
  EXPECT_NEAR(gelu(x).at({4}), 2.0 * 0.9772498680518208, 1e-12);
  EXPECT_NEAR(gelu(x).at({0}), -2.0 * (1 - 0.9772498680518208), 1e-12);
  EXPECT_TRUE(all_close(neg(x), vec({2, 0.5, 0, -0.5, -2})));
  EXPECT_TRUE(all_close(abs(x), vec({2, 0.5, 0, 0.5, 2})));
}

TEST(TensorElementwise, SigmoidDoesNotOverflow) {
  const Tensor x = Tensor::from_vector(std::vector<float>{-1000.0f, 1000.0f}, {2});
  const Tensor y = sigmoid(x);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0.0f, 1.0f}));
}

TEST(TensorElementwise, ScalarsAndOperators) {
  const Tensor x = vec({1, 2, 4});
  EXPECT_TRUE(all_close(x + 1.0, vec({2, 3, 5})));
  EXPECT_TRUE(all_close(1.0 - x, vec({0, -1, -3})));
  EXPECT_TRUE(all_close(x / 2.0, vec({0.5, 1, 2})));
  EXPECT_TRUE(all_close(pow(x, 0.5), vec({1, std::sqrt(2.0), 2})));
  EXPECT_TRUE(all_close(rsqrt(x), vec({1, 1 / std::sqrt(2.0), 0.5})));
  EXPECT_TRUE(all_close(maximum(x, vec({3, 0, 4})), vec({3, 2, 4})));
  EXPECT_TRUE(all_close(minimum(x, vec({3, 0, 4})), vec({1, 0, 4})));
}

TEST(TensorElementwise, NonContiguousOperands) {
  const Tensor a = Tensor::arange(6, DType::f64).reshape({2, 3});
  const Tensor at = a.transpose(0, 1);  // [3, 2]
  const Tensor sum = at + at.contiguous();
  EXPECT_TRUE(all_close(sum, at.contiguous() * 2.0));
}

TEST(TensorElementwise, ComparisonsAndWhere) {
  const Tensor a = vec({1, 5, 3});
  const Tensor b = vec({2, 5, 1});
  EXPECT_EQ(gt(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(lt(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(eq(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_TRUE(all_close(where(gt(a, b), a, b), vec({2, 5, 3})));
  EXPECT_THAT(
      [&] {
        try {
          where(a, a, b);
        } catch (const Error& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("where: cond must be u8"));
}

TEST(TensorElementwise, AllFinite) {
  EXPECT_TRUE(all_finite(vec({1, 2})));
  EXPECT_FALSE(all_finite(vec({1, std::numeric_limits<double>::quiet_NaN()})));
  EXPECT_FALSE(all_finite(vec({-std::numeric_limits<double>::infinity()})));
}

TEST(TensorElementwise, RejectsIntegerAndMixedOperands) {
  const Tensor ids = Tensor::arange(3, DType::i64);
  EXPECT_THROW(exp(ids), Error);
  EXPECT_THROW(vec({1, 2, 3}) + Tensor::ones({3}), Error);  // f64 + f32
  EXPECT_THROW(Tensor() + Tensor::ones({3}), Error);
}

TEST(TensorConversion, ToAndCopy) {
  const Tensor x = vec({1.5, -2.0, 3.0});
  EXPECT_EQ(x.to(DType::i64).to_vector<int64_t>(), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(x.to(DType::f32).dtype(), DType::f32);
  const Tensor dst = Tensor::zeros({2, 3}, DType::f32);
  dst.copy_(x);  // broadcasts [3] into [2, 3]
  EXPECT_EQ(dst.to_vector<float>(), (std::vector<float>{1.5f, -2, 3, 1.5f, -2, 3}));
  EXPECT_THROW(dst.copy_(vec({1, 2})), Error);
  dst.narrow(1, 1, 2).fill_(7.0);
  EXPECT_EQ(dst.to_vector<float>(), (std::vector<float>{1.5f, 7, 7, 1.5f, 7, 7}));
}

TEST(TensorConversion, ElementAccessErrors) {
  const Tensor x = Tensor::zeros({2, 2});
  EXPECT_THROW(x.at({2, 0}), Error);
  EXPECT_THROW(x.at({0}), Error);
  EXPECT_THROW(x.item<float>(), Error);
  EXPECT_THROW(x.data<double>(), Error);
  EXPECT_THROW(Tensor().contiguous(), Error);
  EXPECT_EQ(Tensor().to_string(), "Tensor(undefined)");
  EXPECT_THAT(x.to_string(), HasSubstr("Tensor(f32, [2, 2]) [0, 0, 0, 0]"));
}

TEST(ElementwiseMath, AddIntoAccumulatesInPlaceWithBroadcastAndStrides) {
  const Tensor dst = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor storage_before = dst;
  add_into(dst, Tensor::from_vector<float>({10, 20, 30}, {3}));  // broadcast over rows
  EXPECT_EQ(dst.to_vector<float>(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(dst.data<float>(), storage_before.data<float>());  // in place
  const Tensor t = dst.transpose(0, 1);                         // [3, 2], strided
  add_into(t, Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {3, 2}));
  EXPECT_EQ(dst.to_vector<float>(), (std::vector<float>{12, 25, 38, 16, 29, 42}));
  EXPECT_THAT(testing::error_of([&] { add_into(dst, Tensor::zeros({2, 2})); }), HasSubstr("do not broadcast"));
  EXPECT_THAT(testing::error_of([&] { add_into(Tensor::zeros({3}), dst); }),
              HasSubstr("src shape [2, 3] does not broadcast to dst shape [3]"));
  EXPECT_THAT(testing::error_of([&] { add_into(dst, Tensor::zeros({3}, DType::f64)); }), HasSubstr("dtypes differ"));
}

}  // namespace
}  // namespace attend
