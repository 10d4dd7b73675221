// make_batch: the padding layout of batch.hpp (src, lengths, <s>-shifted tgt_in, </s>-ended tgt_out) and its errors.
#include "attend/data/batch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace attend::data {
namespace {

using attend::testing::error_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<EncodedExample> kExamples = {
    {{5, 6, 7}, {8}},          // 0
    {{9}, {10, 11, 12}},       // 1
    {{13, 14}, {}},            // 2: empty target
    {{}, {4}},                 // 3: empty source
};

TEST(MakeBatch, PadsSourceAndShiftsTargetWithBosAndEos) {
  const Batch b = make_batch(kExamples, {1, 0});
  EXPECT_EQ(b.size(), 2);
  EXPECT_THAT(b.indices, ElementsAre(1, 0));
  ASSERT_EQ(b.src.dtype(), DType::i64);
  ASSERT_EQ(b.tgt_in.dtype(), DType::i64);
  EXPECT_EQ(b.src.shape(), (Shape{2, 3}));
  EXPECT_EQ(b.src_lengths.shape(), (Shape{2}));
  EXPECT_EQ(b.tgt_in.shape(), (Shape{2, 4}));
  EXPECT_EQ(b.tgt_out.shape(), (Shape{2, 4}));
  EXPECT_THAT(b.src.to_vector<int64_t>(), ElementsAre(9, 0, 0, 5, 6, 7));
  EXPECT_THAT(b.src_lengths.to_vector<int64_t>(), ElementsAre(1, 3));
  EXPECT_THAT(b.tgt_in.to_vector<int64_t>(), ElementsAre(2, 10, 11, 12, 2, 8, 0, 0));
  EXPECT_THAT(b.tgt_out.to_vector<int64_t>(), ElementsAre(10, 11, 12, 3, 8, 3, 0, 0));
  EXPECT_EQ(b.target_tokens, 4 + 2);
}

TEST(MakeBatch, EmptyTargetIsJustBosInAndEosOut) {
  const Batch b = make_batch(kExamples, {2});
  EXPECT_THAT(b.src.to_vector<int64_t>(), ElementsAre(13, 14));
  EXPECT_THAT(b.tgt_in.to_vector<int64_t>(), ElementsAre(kBosId));
  EXPECT_THAT(b.tgt_out.to_vector<int64_t>(), ElementsAre(kEosId));
  EXPECT_EQ(b.target_tokens, 1);
}

TEST(MakeBatch, ErrorsNameTheIndex) {
  EXPECT_THAT(error_of([] { make_batch(kExamples, {}); }), HasSubstr("make_batch: indices is empty"));
  EXPECT_THAT(error_of([] { make_batch(kExamples, {0, 4}); }),
              HasSubstr("make_batch: indices[1] = 4 is out of range for 4 examples"));
  EXPECT_THAT(error_of([] { make_batch(kExamples, {-1}); }), HasSubstr("indices[0] = -1 is out of range"));
  EXPECT_THAT(error_of([] { make_batch(kExamples, {0, 1, 3}); }),
              HasSubstr("make_batch: example 3 (indices[2]) has an empty source"));
}

}  // namespace
}  // namespace attend::data
