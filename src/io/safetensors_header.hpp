// Internal (io/): the safetensors header, parsed and validated against the whole file, and the dtype names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attend/core/dtype.hpp"
#include "attend/core/shape.hpp"

namespace attend::detail {

inline constexpr uint64_t kSafetensorsMaxHeader = uint64_t{100} << 20;  // 100 MiB, as the reference reader

/// One tensor of the header; begin and end are byte offsets into the data (which starts at data_start).
struct SafetensorsEntry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin;
  uint64_t end;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // in data order
  std::map<std::string, std::string> metadata;
  uint64_t data_start;  // 8 + header length
};

/// Parses the header of the `size`-byte file at `bytes` and checks it against the file: everything but the tensor
/// values. Throws attend::Error starting with "<name>: " and naming the problem (and the tensor, if any).
SafetensorsHeader parse_safetensors_header(const unsigned char* bytes, size_t size, const std::string& name);

/// The file's dtype name of an attend dtype ("F32", "BF16", ...).
std::string_view safetensors_dtype_name(DType dtype);

}  // namespace attend::detail
