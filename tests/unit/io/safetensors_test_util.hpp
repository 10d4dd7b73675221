// Helpers for the safetensors tests: a fresh temporary folder per test, and safetensors files built byte by byte.
#pragma once

#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace attend::testing {

/// A new empty folder under ::testing::TempDir(), removed with everything in it at the end of the test.
class SafetensorsTempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "attend_safetensors_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string path(std::string_view name) const { return (dir_ / name).string(); }
  /// Names of the entries of the folder (or of a subfolder), sorted.
  std::vector<std::string> entries(std::string_view sub = "") const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(sub.empty() ? dir_ : dir_ / sub)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::filesystem::path dir_;
};

/// 8-byte little-endian `length`, then `rest`.
inline std::string with_length(uint64_t length, std::string_view rest) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(length >> (8 * i));
  return bytes.append(rest);
}

/// A safetensors file: the header's length, the header, then `data_size` bytes (0, 1, 2, ...).
inline std::string safetensors_bytes(std::string_view header, size_t data_size) {
  std::string bytes = with_length(header.size(), header);
  for (size_t i = 0; i < data_size; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

inline void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace attend::testing
