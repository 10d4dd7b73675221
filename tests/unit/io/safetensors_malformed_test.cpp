// Every way a safetensors file can be malformed that attend knows of, one row each: the reader must throw
// attend::Error whose message starts with the file name and says what is wrong, from memory and from disk.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "attend/io/safetensors.hpp"
#include "safetensors_test_util.hpp"

namespace attend {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::safetensors_bytes;
using ::testing::StartsWith;
using testing::with_length;

struct MalformedCase {
  std::string label;    // the test's name
  std::string bytes;    // the whole file
  std::string message;  // a substring the error must contain
};

// {"dtype": ..., "shape": ..., "data_offsets": ...} with the given JSON texts.
std::string entry(std::string_view dtype, std::string_view shape, std::string_view offsets) {
  return fmt::format(R"({{"dtype":{},"shape":{},"data_offsets":{}}})", dtype, shape, offsets);
}
const std::string kGood = entry(R"("F32")", "[1]", "[0,4]");  // one f32, data [0, 4)

// A file with the single tensor "a" described by `body`, and `data` bytes of data.
std::string one(std::string_view body, size_t data = 4) {
  return safetensors_bytes(fmt::format(R"({{"a":{}}})", body), data);
}

std::vector<MalformedCase> malformed_cases() {
  const uint64_t k100MiB = uint64_t{100} << 20;
  return {
      // --- the length field and the header's bytes --------------------------------------------------------------
      {"empty_file", "", "0 bytes, too short"},
      {"seven_bytes", std::string(7, '\0'), "7 bytes, too short"},
      {"header_length_zero", with_length(0, ""), "header length is 0"},
      {"header_length_over_100_MiB", with_length(k100MiB + 1, "{}"), "header length 104857601 exceeds the limit"},
      {"header_length_max_u64", with_length(UINT64_MAX, "{}"), "header length 18446744073709551615 exceeds"},
      {"header_length_past_end_of_file", with_length(100, "{}"), "larger than the 2 bytes that follow"},
      {"header_invalid_utf8_byte", safetensors_bytes("{\"\xff\":{}}", 0), "not valid UTF-8 (byte 0xff"},
      {"header_overlong_utf8", safetensors_bytes("{\"\xc0\xaf\":{}}", 0), "not valid UTF-8 (byte 0xc0"},
      {"header_utf8_surrogate", safetensors_bytes("{\"\xed\xa0\x80\":{}}", 0), "not valid UTF-8 (byte 0xed"},
      {"header_truncated_utf8_sequence", safetensors_bytes("{}  \xe2\x82", 0),
       "not valid UTF-8 (byte 0xe2 at file offset 12)"},
      // --- the JSON ---------------------------------------------------------------------------------------------
      {"json_syntax_error", safetensors_bytes(R"({"a":})", 0), "header is not valid JSON"},
      {"json_truncated", safetensors_bytes(R"({"a":{"dtype":"F32")", 0), "header is not valid JSON"},
      {"json_trailing_garbage", safetensors_bytes("{} x", 0), "header is not valid JSON"},
      {"json_nul_byte", safetensors_bytes(std::string("{}\0", 3), 0),
       "header is not valid JSON: NUL byte at file offset 10"},
      {"json_nul_hides_tensor", safetensors_bytes(std::string("{}\0", 3) + R"({"a":)" + kGood + "}", 4), "NUL byte"},
      {"json_comment", safetensors_bytes("{/* c */}", 0), "header is not valid JSON"},
      {"json_array", safetensors_bytes("[]", 0), "header must be a JSON object, got array"},
      {"json_string", safetensors_bytes(R"("weights")", 0), "header must be a JSON object, got string"},
      {"json_leading_space", safetensors_bytes(" {}", 0), "header must begin with '{' at file offset 8, got byte 0x20"},
      {"json_byte_order_mark", safetensors_bytes("\xef\xbb\xbf{}", 0), "header must begin with '{'"},
      {"json_nested_too_deep", one(entry(R"("F32")", "[[1]]", "[0,4]")), "nests JSON deeper"},
      {"json_nesting_bomb", safetensors_bytes(R"({"a":)" + std::string(100000, '['), 0), "nests JSON deeper"},
      {"duplicate_tensor_name", safetensors_bytes(R"({"a":)" + kGood + R"(,"a":)" + kGood + "}", 4),
       "header has a duplicate tensor name 'a'"},
      {"duplicate_key_in_entry", one(R"({"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]})"),
       "tensor 'a' has a duplicate key 'dtype'"},
      {"duplicate_metadata_key", safetensors_bytes(R"({"__metadata__":{"k":"1","k":"2"}})", 0),
       "__metadata__ has a duplicate key 'k'"},
      {"duplicate_metadata_section", safetensors_bytes(R"({"__metadata__":{},"__metadata__":{}})", 0),
       "header has a duplicate key '__metadata__'"},
      // --- __metadata__ -----------------------------------------------------------------------------------------
      {"metadata_not_object", safetensors_bytes(R"({"__metadata__":["a"]})", 0),
       "__metadata__ must be an object of strings, got array"},
      {"metadata_value_number", safetensors_bytes(R"({"__metadata__":{"step":10}})", 0),
       "__metadata__ value of 'step' must be a string, got number 10"},
      {"metadata_value_null", safetensors_bytes(R"({"__metadata__":{"k":null}})", 0),
       "__metadata__ value of 'k' must be a string, got null"},
      // --- an entry ---------------------------------------------------------------------------------------------
      {"entry_not_object", safetensors_bytes(R"({"a":1})", 0), "tensor 'a': entry must be an object"},
      {"entry_array", safetensors_bytes(R"({"a":["F32",[1],[0,4]]})", 0), "tensor 'a': entry must be an object"},
      {"entry_missing_dtype", one(R"({"shape":[1],"data_offsets":[0,4]})"), "tensor 'a': missing key 'dtype'"},
      {"entry_missing_shape", one(R"({"dtype":"F32","data_offsets":[0,4]})"), "tensor 'a': missing key 'shape'"},
      {"entry_missing_data_offsets", one(R"({"dtype":"F32","shape":[1]})"), "tensor 'a': missing key 'data_offsets'"},
      {"entry_extra_key", one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4],"offset":0})"),
       "tensor 'a': unexpected key 'offset'"},
      // --- dtype ------------------------------------------------------------------------------------------------
      {"dtype_not_string", one(entry("32", "[1]", "[0,4]")), "tensor 'a': dtype must be a string, got number 32"},
      {"dtype_unknown", one(entry(R"("F33")", "[1]", "[0,4]")), "tensor 'a': unknown dtype 'F33'"},
      {"dtype_lowercase", one(entry(R"("f32")", "[1]", "[0,4]")), "tensor 'a': unknown dtype 'f32'"},
      {"dtype_unsupported", one(entry(R"("I32")", "[1]", "[0,4]")), "tensor 'a': dtype I32 is not supported"},
      // --- shape ------------------------------------------------------------------------------------------------
      {"shape_not_array", one(entry(R"("F32")", "1", "[0,4]")), "tensor 'a': shape must be an array of integers"},
      {"shape_negative", one(entry(R"("F32")", "[2,-1]", "[0,4]")),
       "tensor 'a': shape[1] must be a non-negative integer, got number -1"},
      {"shape_float", one(entry(R"("F32")", "[1.0]", "[0,4]")),
       "shape[0] must be a non-negative integer, got number 1.0"},
      {"shape_string", one(entry(R"("F32")", R"(["1"])", "[0,4]")),
       "shape[0] must be a non-negative integer, got string"},
      {"shape_boolean", one(entry(R"("F32")", "[true]", "[0,4]")),
       "shape[0] must be a non-negative integer, got boolean"},
      {"shape_past_uint64", one(entry(R"("F32")", "[18446744073709551616]", "[0,4]")),
       "shape[0] must be a non-negative integer, got number 1.8446744073709552e+19"},
      {"shape_bytes_overflow", one(entry(R"("F32")", "[4611686018427387904,4]", "[0,4]")),
       "tensor 'a': shape [4611686018427387904,4] is too large"},
      {"shape_overflow_beside_zero", one(entry(R"("F32")", "[0,4611686018427387904,4]", "[0,0]"), 0),
       "shape [0,4611686018427387904,4] is too large"},
      // --- data_offsets -----------------------------------------------------------------------------------------
      {"offsets_not_array", one(entry(R"("F32")", "[1]", "0")),
       "tensor 'a': data_offsets must be an array [begin, end]"},
      {"offsets_three_elements", one(entry(R"("F32")", "[1]", "[0,4,8]")),
       "data_offsets must be an array [begin, end] of two integers, got 3 elements"},
      {"offsets_negative", one(entry(R"("F32")", "[1]", "[-4,0]")),
       "tensor 'a': data_offsets[0] must be a non-negative integer, got number -4"},
      {"offsets_float", one(entry(R"("F32")", "[1]", "[0,4.0]")), "data_offsets[1] must be a non-negative integer"},
      {"offsets_begin_after_end", one(entry(R"("F32")", "[1]", "[8,4]"), 8), "data_offsets [8, 4]: begin is after end"},
      {"offsets_past_end_of_data", one(entry(R"("F32")", "[2]", "[0,8]"), 4),
       "tensor 'a': data_offsets [0, 8] reach past the end of the data (4 bytes"},
      {"offsets_length_mismatch", one(entry(R"("F32")", "[3]", "[0,8]"), 8),
       "tensor 'a': data_offsets [0, 8] hold 8 bytes, but F32 [3] takes 12 bytes"},
      {"offsets_empty_tensor_with_bytes", one(entry(R"("F32")", "[0]", "[0,4]"), 4),
       "hold 4 bytes, but F32 [0] takes 0"},
      // --- the layout of the data -------------------------------------------------------------------------------
      {"tensors_overlap",
       safetensors_bytes(
           R"({"a":)" + entry(R"("F32")", "[2]", "[0,8]") + R"(,"b":)" + entry(R"("F32")", "[2]", "[4,12]") + "}", 12),
       "tensors 'a' [0, 8] and 'b' [4, 12] overlap"},
      {"tensors_identical_ranges", safetensors_bytes(R"({"a":)" + kGood + R"(,"b":)" + kGood + "}", 4),
       "tensors 'a' [0, 4] and 'b' [0, 4] overlap"},
      {"gap_between_tensors",
       safetensors_bytes(R"({"a":)" + kGood + R"(,"b":)" + entry(R"("F32")", "[1]", "[8,12]") + "}", 12),
       "data bytes [4, 8) before tensor 'b' belong to no tensor"},
      {"gap_at_start", one(entry(R"("F32")", "[1]", "[4,8]"), 8), "data bytes [0, 4) before tensor 'a'"},
      {"trailing_bytes_after_last_tensor", one(kGood, 9), "the last 5 bytes of data belong to no tensor"},
      {"data_without_tensors", safetensors_bytes("{}", 3), "the last 3 bytes of data belong to no tensor"},
  };
}

class SafetensorsMalformed : public testing::SafetensorsTempDir, public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(SafetensorsMalformed, IsRejectedNamingTheFileAndTheProblem) {
  const MalformedCase& c = GetParam();
  const std::string name = c.label + ".safetensors";
  EXPECT_THAT([&] { (void)parse_safetensors(c.bytes.data(), c.bytes.size(), name); },
              ::testing::ThrowsMessage<Error>(AllOf(StartsWith(name + ": "), HasSubstr(c.message))));
  const std::string file = path(name);
  testing::write_bytes(file, c.bytes);
  EXPECT_THAT([&] { (void)read_safetensors(file); },
              ::testing::ThrowsMessage<Error>(AllOf(StartsWith(file + ": "), HasSubstr(c.message))));
}

INSTANTIATE_TEST_SUITE_P(Safetensors, SafetensorsMalformed, ::testing::ValuesIn(malformed_cases()),
                         [](const ::testing::TestParamInfo<MalformedCase>& row) { return row.param.label; });

TEST(SafetensorsMalformedTable, HasDistinctLabelsAndAtLeast35Classes) {
  const std::vector<MalformedCase> cases = malformed_cases();
  EXPECT_GE(cases.size(), 35u);
  std::set<std::string> labels;
  for (const MalformedCase& c : cases) EXPECT_TRUE(labels.insert(c.label).second) << c.label;
}

TEST(SafetensorsMalformedTable, TheGoodEntryIsValid) {
  // The rows differ from this valid file in one respect each, so each row tests what its label says.
  const std::string bytes = one(kGood);
  const SafetensorsFile file = parse_safetensors(bytes.data(), bytes.size(), "good");
  EXPECT_EQ(file.tensors.at("a").shape(), (Shape{1}));
}

}  // namespace
}  // namespace attend
