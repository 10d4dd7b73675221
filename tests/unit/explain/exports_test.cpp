// Exports: Pharaoh alignments (argmax, threshold, parsing), AER against hand-computed values, .npy bytes, JSON lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>

#include "attend/explain/alignment.hpp"
#include "attend/explain/npy.hpp"
#include "attend/explain/weights_json.hpp"
#include "test_util.hpp"

namespace attend::explain {
namespace {

using ::testing::HasSubstr;
using attend::testing::error_of;

// 3 target rows over 4 source columns.
Tensor weights3x4() {
  return Tensor::from_vector<float>({0.70f, 0.20f, 0.05f, 0.05f,   // t0 -> s0
                                     0.10f, 0.10f, 0.40f, 0.40f,   // t1 -> s2 (tie with s3: lower index)
                                     0.05f, 0.45f, 0.05f, 0.45f},  // t2 -> s1 (tie with s3)
                                    {3, 4});
}

TEST(Alignment, ArgmaxTakesTheStrongestSourcePerTargetLowestIndexOnTies) {
  EXPECT_EQ(to_pharaoh(argmax_alignment(weights3x4())), "0-0 1-2 2-1");
  EXPECT_EQ(to_pharaoh(argmax_alignment(Tensor::zeros({0, 4}))), "");
}

TEST(Alignment, ThresholdKeepsEveryLinkAtOrAboveIt) {
  EXPECT_EQ(to_pharaoh(threshold_alignment(weights3x4(), 0.4)), "0-0 1-2 2-1 3-1 3-2");
  EXPECT_EQ(to_pharaoh(threshold_alignment(weights3x4(), 0.5)), "0-0");
  EXPECT_THAT(error_of([] { threshold_alignment(weights3x4(), 0.0); }),
              HasSubstr("threshold must be in (0, 1], got 0"));
  EXPECT_THAT(error_of([] { argmax_alignment(Tensor::zeros({2, 3, 4})); }),
              HasSubstr("argmax_alignment: weights must be 2-D [T, S], got shape [2, 3, 4]"));
}

TEST(Alignment, ParsesSureAndPossibleLinksAndSortsThem) {
  const Alignment a = parse_pharaoh("  2-1 0-0\t1?2 3p4\n");
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0], (AlignmentLink{0, 0, true}));
  EXPECT_EQ(a[1], (AlignmentLink{1, 2, false}));
  EXPECT_EQ(a[2], (AlignmentLink{2, 1, true}));
  EXPECT_EQ(a[3], (AlignmentLink{3, 4, false}));
  EXPECT_EQ(to_pharaoh(a), "0-0 1?2 2-1 3?4");
  EXPECT_TRUE(parse_pharaoh("").empty());
}

TEST(Alignment, MalformedReferencesNameTheToken) {
  EXPECT_THAT(error_of([] { parse_pharaoh("0-0 1-x 2-2"); }), HasSubstr("link 2 '1-x' is malformed"));
  EXPECT_THAT(error_of([] { parse_pharaoh("0-0 12"); }), HasSubstr("link 2 '12' is malformed: expected SOURCE-TARGET"));
  EXPECT_THAT(error_of([] { parse_pharaoh("-1-2"); }), HasSubstr("link 1 '-1-2'"));
  EXPECT_THAT(error_of([] { parse_pharaoh("0-0 1-1 0?0"); }), HasSubstr("link 3 '0?0' repeats the link 0-0"));
  EXPECT_THAT(error_of([] { parse_pharaoh("99999999999999999999-1"); }), HasSubstr("is malformed"));
}

TEST(Alignment, AerFollowsOchAndNey) {
  // Reference: sure {0-0, 1-1}, possible {2-2} (so P = {0-0, 1-1, 2-2}). Hypothesis {0-0, 2-2, 3-1}:
  // |A| = 3, |S| = 2, |A∩S| = 1, |A∩P| = 2: AER = 1 - 3/5 = 0.4, precision 2/3, recall 1/2.
  const AlignmentScores r = alignment_error_rate(parse_pharaoh("0-0 2-2 3-1"), parse_pharaoh("0-0 1-1 2?2"));
  EXPECT_DOUBLE_EQ(r.aer, 0.4);
  EXPECT_DOUBLE_EQ(r.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.recall, 0.5);
  EXPECT_EQ(r.hypothesis_links, 3);
  EXPECT_EQ(r.sure_links, 2);
  EXPECT_EQ(r.possible_links, 3);
}

TEST(Alignment, WithOnlySureLinksAerIsOneMinusF1) {
  const Alignment hyp = parse_pharaoh("0-0 1-2 2-1 3-3"), ref = parse_pharaoh("0-0 1-1 2-1");
  const AlignmentScores r = alignment_error_rate(hyp, ref);
  const double p = 2.0 / 4.0, rc = 2.0 / 3.0, f1 = 2 * p * rc / (p + rc);
  EXPECT_DOUBLE_EQ(r.aer, 1.0 - f1);
  EXPECT_DOUBLE_EQ(alignment_error_rate(ref, ref).aer, 0.0);
  EXPECT_DOUBLE_EQ(alignment_error_rate({}, ref).aer, 1.0);
  EXPECT_DOUBLE_EQ(alignment_error_rate({}, {}).aer, 0.0);
}

TEST(Npy, HeaderIsVersion1LittleEndianF4CorderAlignedTo64) {
  const std::string b = npy_bytes(Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3}));
  ASSERT_GE(b.size(), 10u);
  EXPECT_EQ(b.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_len = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  const std::string header = b.substr(10, header_len);
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0), 0u);
  EXPECT_EQ(header.back(), '\n');
  ASSERT_EQ(b.size(), 10 + header_len + 6 * 4);
  float v[6];
  std::memcpy(v, b.data() + 10 + header_len, sizeof v);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[5], 6.0f);
}

TEST(Npy, ShapesOfEveryRankAndNonContiguousInput) {
  auto header = [](const Tensor& t) {
    const std::string b = npy_bytes(t);
    return b.substr(10, b.find('}') - 9);
  };
  EXPECT_THAT(header(Tensor::zeros({3})), HasSubstr("'shape': (3,), }"));
  EXPECT_THAT(header(Tensor::scalar(2.0)), HasSubstr("'shape': (), }"));
  EXPECT_THAT(header(Tensor::zeros({2, 1, 4, 5}, DType::f64)), HasSubstr("'descr': '<f4'"));
  EXPECT_THAT(header(Tensor::zeros({2, 1, 4, 5})), HasSubstr("'shape': (2, 1, 4, 5), }"));
  const Tensor t = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3}).transpose(0, 1);  // [3, 2], strided
  const std::string b = npy_bytes(t);
  float v[6];
  std::memcpy(v, b.data() + b.size() - sizeof v, sizeof v);
  EXPECT_EQ(v[1], 4.0f);  // C order of the transposed view: 1 4 2 5 3 6
  EXPECT_EQ(v[2], 2.0f);
  EXPECT_THAT(error_of([] { npy_bytes(Tensor::zeros({2}, DType::i64)); }), HasSubstr("expected f32 or f64"));
}

TEST(WeightsJson, OneLineWithRawTokensAndRowsOfWeights) {
  const Heatmap map{.weights = Tensor::from_vector<float>({0.7f, 0.3f, 0.0f, 1.0f}, {2, 2}),
                    .rows = {"2", "</s>"},
                    .columns = {" ", "\"x\""},
                    .title = "rnn"};
  const std::string line = weights_json_line(map, {{"kind", "rnn"}, {"head", "mean"}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["kind"], "rnn");
  EXPECT_EQ(j["head"], "mean");
  EXPECT_EQ(j["source"], nlohmann::json::array({" ", "\"x\""}));  // raw, not "␣"
  EXPECT_EQ(j["target"][1], "</s>");
  ASSERT_EQ(j["weights"].size(), 2u);
  ASSERT_EQ(j["weights"][0].size(), 2u);
  EXPECT_DOUBLE_EQ(j["weights"][0][0].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(j["weights"][1][1].get<double>(), 1.0);
  EXPECT_EQ(line.rfind("{\"title\":\"rnn\",\"kind\":\"rnn\",\"head\":\"mean\",\"source\"", 0), 0u);
  Heatmap bad = map;
  bad.rows.pop_back();
  EXPECT_THAT(error_of([&] { weights_json_line(bad); }), HasSubstr("weights_json_line: 1 row (target) labels"));
}

}  // namespace
}  // namespace attend::explain
