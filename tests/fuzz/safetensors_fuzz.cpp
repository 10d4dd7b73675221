// libFuzzer target for the safetensors reader: any byte string must either parse or throw attend::Error; a crash,
// a sanitizer report, a leak or any other exception is a bug. Parsed tensors are read back in full, so a view that
// reaches past its bytes shows up under ASan.
//
// Each input is tried twice: as a whole file, and framed: the bytes before the first 0xFF (a byte that never occurs
// in UTF-8) become the header, with the length field computed, and the bytes after it the data. Mutations of the
// JSON then keep a consistent length, so the fuzzer gets past the framing into the header checks.
//
// Run: scripts/fuzz.sh (FUZZ_SECONDS=600 for longer); seeds in tests/fuzz/corpus/safetensors/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "attend/io/safetensors.hpp"

namespace {

void parse(const void* data, size_t size) {
  try {
    const attend::SafetensorsFile file = attend::parse_safetensors(data, size, "fuzz.safetensors");
    volatile unsigned sum = 0;
    for (const auto& [name, tensor] : file.tensors) {
      const auto* bytes = static_cast<const unsigned char*>(tensor.raw_data());
      const size_t n = static_cast<size_t>(tensor.numel()) * attend::dtype_size(tensor.dtype());
      for (size_t i = 0; i < n; ++i) sum = sum + bytes[i];
    }
    for (const auto& [key, value] : file.metadata) sum = sum + static_cast<unsigned>(key.size() + value.size());
  } catch (const attend::Error&) {
    // Rejected with a message: the expected outcome for malformed input.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  parse(data, size);
  const uint8_t* separator = std::find(data, data + size, uint8_t{0xFF});
  const auto header_size = static_cast<uint64_t>(separator - data);
  std::string framed(8, '\0');
  for (int i = 0; i < 8; ++i) framed[i] = static_cast<char>(header_size >> (8 * i));
  framed.append(reinterpret_cast<const char*>(data), header_size);
  if (separator != data + size) framed.append(reinterpret_cast<const char*>(separator + 1), data + size - separator - 1);
  parse(framed.data(), framed.size());
  return 0;
}
