// Writing safetensors the way the reference implementation does: header keys sorted, the header padded with spaces
// to a multiple of 8 bytes, the data ordered by dtype size (largest first), then by name, so every tensor starts
// aligned for its dtype when the file is mapped. Strided tensors are gathered on the fly, without a full copy.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

#include "atomic_file.hpp"
#include "attend/io/safetensors.hpp"
#include "safetensors_header.hpp"
#include "utf8.hpp"

namespace attend {

namespace {

using nlohmann::json;

constexpr size_t kChunk = size_t{1} << 20;  // bytes gathered per write() for strided tensors

void check_utf8(const std::string& text, const char* what, const std::string& path) {
  const size_t bad = detail::invalid_utf8_offset(text);
  ATTEND_CHECK(bad == std::string_view::npos, "{}: {} is not valid UTF-8 (byte {} of {} bytes)", path, what, bad,
               text.size());
}

// Writes the tensor's elements in row-major order.
void write_tensor(detail::AtomicFile& out, const Tensor& t) {
  const size_t element = dtype_size(t.dtype());
  if (t.numel() == 0) return;
  if (t.is_contiguous()) return out.write(t.raw_data(), static_cast<size_t>(t.numel()) * element);
  const auto* base = static_cast<const char*>(t.storage()->data());
  const int64_t rank = t.dim();  // >= 1: a 0-d tensor is contiguous
  const int64_t inner = t.size(-1), inner_stride = t.stride(-1);
  std::vector<int64_t> index(static_cast<size_t>(rank - 1), 0);
  std::vector<char> buffer;
  buffer.reserve(kChunk + static_cast<size_t>(inner) * element);
  for (int64_t row = 0, rows = t.numel() / inner; row < rows; ++row) {
    int64_t offset = t.offset();
    for (int64_t d = 0; d + 1 < rank; ++d) offset += index[d] * t.stride(d);
    for (int64_t i = 0; i < inner; ++i) {
      const char* element_start = base + (offset + i * inner_stride) * static_cast<int64_t>(element);
      buffer.insert(buffer.end(), element_start, element_start + element);
    }
    if (buffer.size() >= kChunk) {
      out.write(buffer.data(), buffer.size());
      buffer.clear();
    }
    for (int64_t d = rank - 2; d >= 0 && ++index[d] == t.size(d); --d) index[d] = 0;  // odometer
  }
  out.write(buffer.data(), buffer.size());
}

}  // namespace

void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Check everything before the first byte goes to disk.
  std::vector<const std::pair<const std::string, Tensor>*> order;
  for (const auto& item : tensors) {
    const auto& [name, tensor] = item;
    ATTEND_CHECK(name != "__metadata__", "{}: a tensor cannot be named __metadata__ (the key is reserved)", path);
    check_utf8(name, "a tensor name", path);
    ATTEND_CHECK(tensor.defined(), "{}: tensor '{}' is undefined", path, name);
    order.push_back(&item);
  }
  for (const auto& [key, value] : metadata) {
    check_utf8(key, "a metadata key", path);
    check_utf8(value, fmt::format("metadata value '{}'", key).c_str(), path);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return dtype_size(a->second.dtype()) > dtype_size(b->second.dtype());  // then by name: the map's order
  });

  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto* item : order) {
    const Tensor& t = item->second;
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype());
    header[item->first] = {{"dtype", detail::safetensors_dtype_name(t.dtype())},
                           {"shape", t.shape()},
                           {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();  // keys sorted (json objects are ordered maps), compact
  text.append((8 - text.size() % 8) % 8, ' ');
  ATTEND_CHECK(text.size() <= detail::kSafetensorsMaxHeader,
               "{}: the header would take {} bytes, more than readers accept (100 MiB); {} tensors", path, text.size(),
               tensors.size());
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));

  detail::AtomicFile out(path);
  out.write(length, sizeof length);
  out.write(text.data(), text.size());
  for (const auto* item : order) write_tensor(out, item->second);
  out.commit();
}

}  // namespace attend
