// safetensors read and write (https://github.com/huggingface/safetensors, format described in docs/).
//
// File layout: u64 little-endian header length N, N bytes of JSON header ({"name": {"dtype": "F32", "shape": [..],
// "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value"}}), then the raw little-endian data.
// Dtypes read: F32, F64, I64, U8, BF16, F16, and BOOL as u8 (0/1). Any other dtype is an error naming it.
// Reading is hardened: the header length is capped (100 MiB), the header must be UTF-8 JSON that begins with '{',
// without duplicate keys; every entry has exactly dtype, shape and data_offsets; dtypes must be known, shapes
// non-negative without overflow, offsets inside the data, non-overlapping, without gaps and equal to dtype × shape;
// and the file length exact (8 + N + data). Each violation throws attend::Error that starts with the file name and
// names the problem and the tensor: "model.safetensors: tensor 'w': shape[1] must be a non-negative integer, got
// number -3".
// Writing is atomic: "<path>.tmp.<pid>" in the same folder, fsync, rename; on failure the temporary file is removed
// and the previous file, if any, is untouched. The header is written as the reference writer does: keys sorted,
// padded with spaces to a multiple of 8 bytes; the data is ordered by dtype size, then name, so each tensor is aligned.
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
  std::map<std::string, Tensor> tensors;        // by name, contiguous; bf16/f16 kept as stored (convert with .to())
  std::map<std::string, std::string> metadata;  // "__metadata__", string to string
};

/// Memory-maps and validates `path`. The tensors are views of the mapping and keep it alive; it is mapped
/// copy-on-write, so writing into a tensor never changes the file. A tensor whose bytes are not aligned for its dtype
/// (a writer that does not pad) is copied into aligned memory instead. The file must not be truncated while mapped.
/// Throws attend::Error naming the path and the errno text when it cannot be opened (missing, a folder, no access).
SafetensorsFile read_safetensors(const std::string& path);
/// Parses from a byte buffer already in memory; `name` is used in error messages (fuzzing, tests). The tensors are
/// copies: the buffer may be freed after the call.
SafetensorsFile parse_safetensors(const void* data, size_t size, const std::string& name);
/// Writes the tensors (any dtype: f32, f64, i64, u8, bf16, f16; strided views are written in row-major order) and
/// the metadata, atomically. Throws attend::Error naming `path` (bad name, undefined tensor, I/O error and errno text).
void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace attend
