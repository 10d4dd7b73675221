#include "attend/core/shape.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attend/core/error.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using testing::error_of;

using ::testing::HasSubstr;

TEST(Shape, NumelAndStrings) {
  EXPECT_EQ(numel({2, 3, 4}), 24);
  EXPECT_EQ(numel({}), 1);
  EXPECT_EQ(numel({3, 0}), 0);
  EXPECT_EQ(shape_str({2, 3}), "[2, 3]");
  EXPECT_EQ(shape_str({}), "[]");
  EXPECT_EQ(contiguous_strides({2, 3, 4}), (Strides{12, 4, 1}));
  EXPECT_THAT(error_of([] { numel({2, -1}); }), HasSubstr("negative extent"));
  EXPECT_THAT(error_of([] { numel({1 << 30, 1 << 30, 1 << 30}); }), HasSubstr("int64"));
}

TEST(Shape, NormalizeDimNamesTheOp) {
  EXPECT_EQ(normalize_dim(-1, 3, "softmax", {2, 3, 4}), 2);
  EXPECT_EQ(normalize_dim(0, 3, "softmax", {2, 3, 4}), 0);
  EXPECT_THAT(error_of([] { normalize_dim(3, 3, "softmax", {2, 3, 4}); }),
              HasSubstr("softmax: dim 3 out of range for a tensor of rank 3 (shape [2, 3, 4])"));
  EXPECT_THROW(normalize_dim(-4, 3, "softmax", {2, 3, 4}), Error);
}

TEST(Shape, Broadcasting) {
  EXPECT_EQ(broadcast_shapes({2, 1, 4}, {3, 1}, "add"), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {5}, "add"), (Shape{5}));
  EXPECT_THAT(error_of([] { broadcast_shapes({2, 3}, {4}, "mul"); }),
              HasSubstr("mul: shapes [2, 3] and [4] do not broadcast"));
}

TEST(Shape, InferReshape) {
  EXPECT_EQ(infer_reshape({-1, 4}, 24, {2, 3, 4}, "reshape"), (Shape{6, 4}));
  EXPECT_THAT(error_of([] { infer_reshape({-1, -1}, 24, {24}, "reshape"); }), HasSubstr("only one -1"));
  EXPECT_THAT(error_of([] { infer_reshape({5, -1}, 24, {24}, "reshape"); }), HasSubstr("cannot reshape [24]"));
  EXPECT_THAT(error_of([] { infer_reshape({5, 5}, 24, {24}, "view"); }), HasSubstr("view: cannot reshape"));
}

TEST(Error, AssertReportsInternalErrorWithoutAborting) {
  const std::string msg = error_of([] { ATTEND_ASSERT(1 + 1 == 3, "math is off by {}", 1); });
  EXPECT_THAT(msg, HasSubstr("internal error: math is off by 1"));
  EXPECT_THAT(msg, HasSubstr("shape_test.cpp"));
}

}  // namespace
}  // namespace attend
