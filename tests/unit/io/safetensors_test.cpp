#include "attend/io/safetensors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <limits>

#include "attend/core/half.hpp"
#include "safetensors_test_util.hpp"
#include "test_util.hpp"

namespace attend {
namespace {

using ::testing::AllOf;
using testing::bitwise_equal;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::read_bytes;
using testing::safetensors_bytes;
using ::testing::StartsWith;
using ::testing::ThrowsMessage;
using testing::write_bytes;

class SafetensorsRoundTrip : public testing::SafetensorsTempDir {};
class SafetensorsRead : public testing::SafetensorsTempDir {};
class SafetensorsWrite : public testing::SafetensorsTempDir {};

Tensor bits16(const std::vector<uint16_t>& bits, const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  if (!bits.empty()) std::memcpy(t.raw_data(), bits.data(), bits.size() * 2);
  return t;
}

std::vector<uint16_t> bits_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  const auto* p = static_cast<const uint16_t*>(c.raw_data());
  return std::vector<uint16_t>(p, p + t.numel());
}

void expect_same(const SafetensorsFile& file, const std::map<std::string, Tensor>& expected) {
  ASSERT_EQ(file.tensors.size(), expected.size());
  for (const auto& [name, want] : expected) {
    ASSERT_TRUE(file.tensors.contains(name)) << name;
    const Tensor& got = file.tensors.at(name);
    EXPECT_EQ(got.dtype(), want.dtype()) << name;
    EXPECT_EQ(got.shape(), want.shape()) << name;
    EXPECT_EQ(got.strides(), contiguous_strides(want.shape())) << name;
    if (want.dtype() == DType::bf16 || want.dtype() == DType::f16) {
      EXPECT_EQ(bits_of(got), bits_of(want)) << name;
    } else {
      EXPECT_TRUE(bitwise_equal(got, want)) << name;
    }
  }
}

TEST_F(SafetensorsRoundTrip, EveryDtypeKeepsItsBitsShapeAndDtype) {
  Rng rng(3);
  const std::map<std::string, Tensor> tensors = {
      {"f32", Tensor::randn({3, 4}, rng)},
      {"f64", Tensor::randn({2, 3, 2}, rng, DType::f64)},
      {"i64", Tensor::from_vector<int64_t>(
                  {-1, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), 0}, {2, 2})},
      {"u8", Tensor::from_vector<uint8_t>({0, 1, 255}, {3})},
      {"bf16", Tensor::randn({5}, rng).to(DType::bf16)},
      {"f16", bits16({0x3C00, 0x7BFF, 0x0001, 0xFC00, 0x7E00, 0x8000}, {2, 3}, DType::f16)},
  };
  write_safetensors(path("all.safetensors"), tensors, {{"step", "10"}, {"note", "grüße, 注意"}});
  const SafetensorsFile file = read_safetensors(path("all.safetensors"));
  expect_same(file, tensors);
  EXPECT_EQ(file.metadata, (std::map<std::string, std::string>{{"step", "10"}, {"note", "grüße, 注意"}}));
  EXPECT_EQ(file.tensors.at("i64").to_vector<int64_t>()[1], std::numeric_limits<int64_t>::max());
}

TEST_F(SafetensorsRoundTrip, EmptyTensorsScalarsAndNoMetadata) {
  const std::map<std::string, Tensor> tensors = {
      {"empty", Tensor::zeros({0})},
      {"empty_3d", Tensor::zeros({2, 0, 3}, DType::f64)},
      {"empty_bf16", bits16({}, {0, 4}, DType::bf16)},
      {"scalar", Tensor::scalar(-2.5)},
      {"scalar_i64", Tensor::scalar(42, DType::i64)},
  };
  write_safetensors(path("edge.safetensors"), tensors);
  const SafetensorsFile file = read_safetensors(path("edge.safetensors"));
  expect_same(file, tensors);
  EXPECT_TRUE(file.metadata.empty());
  EXPECT_EQ(file.tensors.at("scalar").dim(), 0);
  EXPECT_EQ(file.tensors.at("scalar").item<float>(), -2.5f);
  EXPECT_EQ(file.tensors.at("scalar_i64").item<int64_t>(), 42);
  EXPECT_THAT(read_bytes(path("edge.safetensors")), Not(HasSubstr("__metadata__")));
}

TEST_F(SafetensorsRoundTrip, NonContiguousInputsAreWrittenInRowMajorOrder) {
  const Tensor base = Tensor::arange(24).reshape({2, 3, 4});
  const std::map<std::string, Tensor> tensors = {
      {"transposed", base.transpose(0, 2)},                            // [4, 3, 2]
      {"narrowed", base.narrow(2, 1, 2)},                              // [2, 3, 2]
      {"expanded", Tensor::arange(3).reshape({1, 3}).expand({4, 3})},  // stride 0
      {"selected", base.select(1, 2)},                                 // [2, 4]
      {"bf16_transposed", base.to(DType::bf16).permute({2, 0, 1})},    // [4, 2, 3]
  };
  for (const auto& [name, t] : tensors) ASSERT_FALSE(t.is_contiguous()) << name;
  write_safetensors(path("views.safetensors"), tensors);
  const SafetensorsFile file = read_safetensors(path("views.safetensors"));
  expect_same(file, tensors);
  EXPECT_EQ(file.tensors.at("expanded").to_vector<float>(), (std::vector<float>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(file.tensors.at("transposed").at({3, 2, 1}), base.at({1, 2, 3}));
}

TEST_F(SafetensorsRoundTrip, LargeStridedTensorCrossesTheWriteChunks) {
  Rng rng(5);
  const Tensor big = Tensor::randn({700, 500}, rng).transpose(0, 1);  // 1.4 MB, gathered in chunks
  write_safetensors(path("big.safetensors"), {{"big", big}});
  expect_same(read_safetensors(path("big.safetensors")), {{"big", big}});
}

TEST_F(SafetensorsWrite, LayoutMatchesTheReference) {
  // Sorted keys, data ordered by dtype size then name, header padded with spaces to a multiple of 8.
  write_safetensors(
      path("ref.safetensors"),
      {{"b", Tensor::from_vector<uint8_t>({7, 8, 9}, {3})}, {"a", Tensor::from_vector<float>({1, 2}, {2})}},
      {{"format", "pt"}});
  const std::string bytes = read_bytes(path("ref.safetensors"));
  const std::string json = R"({"__metadata__":{"format":"pt"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},)"
                           R"("b":{"data_offsets":[8,11],"dtype":"U8","shape":[3]}})";
  const size_t padded = (json.size() + 7) / 8 * 8;
  ASSERT_EQ(bytes.size(), 8 + padded + 11);
  uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  EXPECT_EQ(length, padded);
  EXPECT_EQ(bytes.substr(8, padded), json + std::string(padded - json.size(), ' '));
  const float one = 1.0f;
  EXPECT_EQ(bytes.substr(8 + padded, 4), std::string(reinterpret_cast<const char*>(&one), 4));
  EXPECT_EQ(bytes.substr(8 + padded + 8), "\x07\x08\x09");
}

TEST_F(SafetensorsWrite, DataIsAlignedForEveryDtype) {
  // An odd-length u8 tensor named first must not push the f64 tensor off its 8-byte alignment.
  write_safetensors(path("align.safetensors"),
                    {{"a_mask", Tensor::ones({3}, DType::u8)}, {"b_w", Tensor::ones({3}, DType::f64)}});
  const SafetensorsFile file = read_safetensors(path("align.safetensors"));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(file.tensors.at("b_w").raw_data()) % 8, 0u);
  EXPECT_EQ(file.tensors.at("b_w").to_vector<double>(), (std::vector<double>{1, 1, 1}));
}

TEST_F(SafetensorsRead, FileInTheReferenceLayout) {
  // As the reference writer lays it out: __metadata__ first, keys dtype/shape/data_offsets, 7 spaces of padding
  // (from huggingface/safetensors' test_simple.py, with F32 for its I32). The data start, 110, is misaligned.
  const std::string header =
      R"({"__metadata__":{"framework":"pt"},"test1":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}       )";
  std::string bytes = safetensors_bytes(header, 0);
  for (float v : {1.0f, -2.0f, 0.5f, 4.0f}) bytes.append(reinterpret_cast<const char*>(&v), 4);
  write_bytes(path("ref.safetensors"), bytes);
  const SafetensorsFile file = read_safetensors(path("ref.safetensors"));
  EXPECT_EQ(file.metadata.at("framework"), "pt");
  const Tensor& t = file.tensors.at("test1");
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % alignof(float), 0u);  // copied to aligned storage
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, -2, 0.5, 4}));
  // The same file with its original I32 dtype is valid safetensors that attend does not read.
  std::string i32 = bytes;
  i32.replace(i32.find("F32"), 3, "I32");
  EXPECT_THAT([&] { (void)parse_safetensors(i32.data(), i32.size(), "i32.safetensors"); },
              ThrowsMessage<Error>(HasSubstr("tensor 'test1': dtype I32 is not supported")));
}

TEST_F(SafetensorsRead, TorchStyleFileWithBf16BoolAndI64) {
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"embed.weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},)"
      R"("ids":{"dtype":"I64","shape":[2],"data_offsets":[24,40]},"scale":{"dtype":"BF16","shape":[2],)"
      R"("data_offsets":[40,44]},"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[44,47]}})";
  std::string bytes = safetensors_bytes(header + std::string((8 - header.size() % 8) % 8, ' '), 0);
  for (float v : {0.f, 1.f, 2.f, 3.f, 4.f, 5.f}) bytes.append(reinterpret_cast<const char*>(&v), 4);
  for (int64_t v : {int64_t{7}, int64_t{-3}}) bytes.append(reinterpret_cast<const char*>(&v), 8);
  for (uint16_t v : {uint16_t{0x3F80}, uint16_t{0xC049}}) bytes.append(reinterpret_cast<const char*>(&v), 2);
  bytes.append("\x01\x00\x01", 3);
  write_bytes(path("torch.safetensors"), bytes);
  const SafetensorsFile file = read_safetensors(path("torch.safetensors"));
  EXPECT_EQ(file.tensors.at("embed.weight").to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(file.tensors.at("ids").to_vector<int64_t>(), (std::vector<int64_t>{7, -3}));
  EXPECT_EQ(file.tensors.at("scale").dtype(), DType::bf16);
  EXPECT_EQ(file.tensors.at("scale").to(DType::f32).to_vector<float>(), (std::vector<float>{1.0f, -3.140625f}));
  EXPECT_EQ(file.tensors.at("mask").dtype(), DType::u8);  // BOOL reads as u8 0/1
  EXPECT_THAT(file.tensors.at("mask").to_vector<uint8_t>(), ElementsAre(1, 0, 1));
}

TEST_F(SafetensorsRead, TensorsOutliveTheFileStructAndWritesNeverReachTheFile) {
  write_safetensors(path("w.safetensors"), {{"w", Tensor::from_vector<float>({1, 2, 3}, {3})}});
  Tensor w;
  {
    SafetensorsFile file = read_safetensors(path("w.safetensors"));
    w = file.tensors.at("w");
  }
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{1, 2, 3}));  // the mapping is still alive
  w.data<float>()[0] = 100.0f;                                     // copy-on-write page
  EXPECT_EQ(w.to_vector<float>()[0], 100.0f);
  EXPECT_EQ(read_safetensors(path("w.safetensors")).tensors.at("w").to_vector<float>()[0], 1.0f);
}

TEST_F(SafetensorsRead, ParseFromMemoryCopiesTheBuffer) {
  write_safetensors(path("m.safetensors"), {{"x", Tensor::from_vector<double>({1.5, -2.5}, {2})}});
  auto buffer = std::make_unique<std::string>(read_bytes(path("m.safetensors")));
  const SafetensorsFile file = parse_safetensors(buffer->data(), buffer->size(), "in-memory");
  buffer.reset();  // the tensors do not borrow the caller's buffer
  EXPECT_EQ(file.tensors.at("x").to_vector<double>(), (std::vector<double>{1.5, -2.5}));
}

TEST_F(SafetensorsRead, MisalignedTensorsAreCopiedToAlignedStorage) {
  // A U8 tensor of 3 bytes first pushes the F64 tensor to data offset 3; the header of 13 bytes adds more.
  const std::string header = R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},)"
                             R"("b":{"dtype":"F64","shape":[2],"data_offsets":[3,19]}})";
  std::string bytes = safetensors_bytes(header, 0);
  bytes.append("\x01\x02\x03", 3);
  for (double v : {0.25, -8.0}) bytes.append(reinterpret_cast<const char*>(&v), 8);
  write_bytes(path("mis.safetensors"), bytes);
  for (const SafetensorsFile& file :
       {read_safetensors(path("mis.safetensors")), parse_safetensors(bytes.data() + 0, bytes.size(), "mis")}) {
    const Tensor& b = file.tensors.at("b");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.raw_data()) % alignof(double), 0u);
    EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{0.25, -8.0}));
    EXPECT_THAT(file.tensors.at("a").to_vector<uint8_t>(), ElementsAre(1, 2, 3));
  }
}

TEST_F(SafetensorsRead, FuzzSeedCorpusFilesAreValid) {
  // *.safetensors seeds are whole files; *.framed seeds are "header 0xFF data" (see tests/fuzz/safetensors_fuzz.cpp),
  // valid unless named bad_*.
  const std::filesystem::path seeds = std::filesystem::path(ATTEND_SOURCE_DIR) / "tests/fuzz/corpus/safetensors";
  int whole = 0, framed = 0;
  for (const auto& seed : std::filesystem::directory_iterator(seeds)) {
    if (seed.path().extension() != ".framed" && seed.path().extension() != ".safetensors") continue;
    const std::string bytes = read_bytes(seed.path().string());
    EXPECT_LT(bytes.size(), 1024u) << seed.path();
    if (seed.path().extension() == ".framed") {
      const size_t separator = bytes.find('\xff');
      ASSERT_NE(separator, std::string::npos) << seed.path();
      const std::string file = testing::with_length(separator, bytes.substr(0, separator)) + bytes.substr(separator + 1);
      const auto parse = [&] { (void)parse_safetensors(file.data(), file.size(), "framed"); };
      if (seed.path().filename().string().starts_with("bad_")) {
        EXPECT_THROW(parse(), Error) << seed.path();  // near misses, to lead the fuzzer to each layout check
      } else {
        EXPECT_NO_THROW(parse()) << seed.path();
        ++framed;
      }
    } else {
      EXPECT_NO_THROW((void)read_safetensors(seed.path().string())) << seed.path();
      ++whole;
    }
  }
  EXPECT_GE(whole, 3);
  EXPECT_GE(framed, 2);
  const SafetensorsFile all = read_safetensors((seeds / "all_dtypes.safetensors").string());
  EXPECT_EQ(all.tensors.size(), 8u);
  EXPECT_EQ(all.tensors.at("f16").to(DType::f32).to_vector<float>(), (std::vector<float>{1.0f, 65504.0f}));
  EXPECT_EQ(all.tensors.at("f32").dim(), 0);
}

TEST_F(SafetensorsRead, EmptyHeaderObjectIsAnEmptyFile) {
  write_bytes(path("empty.safetensors"), safetensors_bytes("{}      ", 0));
  const SafetensorsFile file = read_safetensors(path("empty.safetensors"));
  EXPECT_TRUE(file.tensors.empty());
  EXPECT_TRUE(file.metadata.empty());
}

TEST_F(SafetensorsRead, BadPathsNameThePathAndTheReason) {
  const std::string missing = path("missing.safetensors");
  EXPECT_THAT([&] { read_safetensors(missing); },
              ThrowsMessage<Error>(AllOf(StartsWith(missing + ": "), HasSubstr("No such file or directory"))));
  EXPECT_THAT([&] { read_safetensors(dir_.string()); },
              ThrowsMessage<Error>(AllOf(StartsWith(dir_.string() + ": "), HasSubstr("Is a directory"))));
  write_bytes(path("file"), "x");
  EXPECT_THAT([&] { read_safetensors(path("file") + "/x.safetensors"); },
              ThrowsMessage<Error>(HasSubstr("Not a directory")));
  EXPECT_THAT([&] { read_safetensors("/dev/null"); }, ThrowsMessage<Error>(HasSubstr("not a regular file")));
}

TEST_F(SafetensorsRead, UnreadableFileNamesThePermission) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  write_safetensors(path("secret.safetensors"), {{"x", Tensor::ones({1})}});
  std::filesystem::permissions(path("secret.safetensors"), std::filesystem::perms::none);
  EXPECT_THAT([&] { read_safetensors(path("secret.safetensors")); },
              ThrowsMessage<Error>(AllOf(StartsWith(path("secret.safetensors")), HasSubstr("Permission denied"))));
}

TEST_F(SafetensorsWrite, OverwritesAnExistingFileAndLeavesNoTemporary) {
  write_safetensors(path("w.safetensors"), {{"x", Tensor::ones({4})}});
  write_safetensors(path("w.safetensors"), {{"y", Tensor::zeros({2}, DType::i64)}});
  const SafetensorsFile file = read_safetensors(path("w.safetensors"));
  EXPECT_FALSE(file.tensors.contains("x"));
  EXPECT_EQ(file.tensors.at("y").to_vector<int64_t>(), (std::vector<int64_t>{0, 0}));
  EXPECT_THAT(entries(), ElementsAre("w.safetensors"));
}

TEST_F(SafetensorsWrite, MissingFolderFailsNamingThePathAndLeavesNothing) {
  const std::string target = path("no/such/folder/w.safetensors");
  EXPECT_THAT(
      [&] {
        write_safetensors(target, {{"x", Tensor::ones({1})}});
      },
      ThrowsMessage<Error>(AllOf(StartsWith(target + ": "), HasSubstr("No such file or directory"))));
  EXPECT_TRUE(entries().empty());
}

TEST_F(SafetensorsWrite, PathUnderARegularFileFails) {
  write_bytes(path("somefile"), "not a folder");
  const std::string target = path("somefile/x.safetensors");
  EXPECT_THAT(
      [&] {
        write_safetensors(target, {{"x", Tensor::ones({1})}});
      },
      ThrowsMessage<Error>(AllOf(StartsWith(target + ": "), HasSubstr("Not a directory"))));
  EXPECT_THAT(entries(), ElementsAre("somefile"));
  EXPECT_EQ(read_bytes(path("somefile")), "not a folder");
}

TEST_F(SafetensorsWrite, FailedRenameRemovesTheTemporaryFile) {
  // The target is a folder: the temporary file is written in full, then the rename fails and it must go.
  std::filesystem::create_directory(path("target.safetensors"));
  EXPECT_THAT(
      [&] {
        write_safetensors(path("target.safetensors"), {{"x", Tensor::ones({1000})}});
      },
      ThrowsMessage<Error>(AllOf(StartsWith(path("target.safetensors") + ": "), HasSubstr("rename"))));
  EXPECT_THAT(entries(), ElementsAre("target.safetensors"));
  EXPECT_TRUE(entries("target.safetensors").empty());
}

TEST_F(SafetensorsWrite, ReadOnlyFolderFailsAndLeavesNothing) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  std::filesystem::create_directory(path("ro"));
  std::filesystem::permissions(path("ro"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  EXPECT_THAT(
      [&] {
        write_safetensors(path("ro/w.safetensors"), {{"x", Tensor::ones({1})}});
      },
      ThrowsMessage<Error>(HasSubstr("Permission denied")));
  EXPECT_TRUE(entries("ro").empty());
}

TEST_F(SafetensorsWrite, InvalidInputIsRejectedBeforeTouchingTheFile) {
  write_safetensors(path("keep.safetensors"), {{"x", Tensor::ones({2})}});
  const std::string before = read_bytes(path("keep.safetensors"));
  const auto rejects = [&](const std::map<std::string, Tensor>& tensors, const std::map<std::string, std::string>& meta,
                           const char* message) {
    EXPECT_THAT([&] { write_safetensors(path("keep.safetensors"), tensors, meta); },
                ThrowsMessage<Error>(AllOf(StartsWith(path("keep.safetensors") + ": "), HasSubstr(message))));
  };
  rejects({{"__metadata__", Tensor::ones({1})}}, {}, "cannot be named __metadata__");
  rejects({{"x", Tensor()}}, {}, "tensor 'x' is undefined");
  rejects({{"bad\xff", Tensor::ones({1})}}, {}, "a tensor name is not valid UTF-8");
  rejects({{"x", Tensor::ones({1})}}, {{"k", "\xc0\x80"}}, "metadata value 'k' is not valid UTF-8");
  EXPECT_EQ(read_bytes(path("keep.safetensors")), before);
  EXPECT_THAT(entries(), ElementsAre("keep.safetensors"));
}

}  // namespace
}  // namespace attend
