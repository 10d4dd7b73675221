// safetensors read and write (https://github.com/huggingface/safetensors, format described in docs/).
//
// File layout: u64 little-endian header length N, N bytes of JSON header ({"name": {"dtype": "F32", "shape": [..],
// "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value"}}), then the raw little-endian data.
// Reading is hardened: the header length is capped (100 MiB), the JSON must parse, dtypes must be known, shapes
// non-negative without overflow, offsets inside the data, contiguous, non-overlapping and equal to dtype × shape,
// and the file length exact. Each violation throws attend::Error naming the file and the problem.
// Writing is atomic: a temporary file in the same folder, fsync, rename.
//
// Usage:
//   SafetensorsFile f = read_safetensors("model.safetensors");          // memory-mapped, tensors borrow the map
//   Tensor w = f.tensors.at("encoder.weight");
//   write_safetensors("out.safetensors", {{"w", w}}, {{"step", "10"}});
#pragma once

#include <map>
#include <string>

#include "attend/tensor/tensor.hpp"

namespace attend {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;        // by name; views of the mapped file (bf16/f16 kept as stored)
  std::map<std::string, std::string> metadata;  // "__metadata__", string to string
};

/// Memory-maps and validates `path`. The tensors keep the mapping alive.
SafetensorsFile read_safetensors(const std::string& path);
/// Parses from a byte buffer already in memory; `name` is used in error messages (fuzzing, tests).
SafetensorsFile parse_safetensors(const void* data, size_t size, const std::string& name);
/// Writes f32, f64, i64, u8 and bf16 tensors (made contiguous), sorted by name, atomically.
void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace attend
