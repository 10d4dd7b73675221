// NumPy .npy writer (see the header).
#include "attend/explain/npy.hpp"

#include <fmt/core.h>

#include <bit>
#include <cstring>

#include "attend/core/error.hpp"
#include "attend/io/text_file.hpp"

namespace attend::explain {

std::string npy_bytes(const Tensor& values) {
  ATTEND_CHECK(values.defined(), "npy_bytes: the tensor is undefined");
  ATTEND_CHECK(values.dtype() == DType::f32 || values.dtype() == DType::f64,
               "npy_bytes: expected f32 or f64 weights, got {}", dtype_name(values.dtype()));
  static_assert(std::endian::native == std::endian::little, "the '<f4' data below is written in native order");
  std::string shape;
  for (int64_t d : values.shape()) shape += fmt::format("{}, ", d);
  if (values.dim() == 1) shape.pop_back();             // "(3,)"
  else if (values.dim() > 1) shape.resize(shape.size() - 2);  // "(2, 3)"
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", shape);
  const size_t prefix = 10;  // magic (6) + version (2) + header length (2)
  const size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  const Tensor data = values.to(DType::f32).contiguous();
  const size_t bytes = static_cast<size_t>(data.numel()) * sizeof(float);
  if (bytes > 0) out.append(reinterpret_cast<const char*>(data.data<float>()), bytes);
  return out;
}

void write_npy(const std::string& path, const Tensor& values) { write_text_file(path, npy_bytes(values)); }

}  // namespace attend::explain
