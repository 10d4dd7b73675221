// Parsing and validation of the safetensors header. The rules are those of the reference implementation
// (huggingface/safetensors, lib.rs `validate`), plus strictness the format description asks for: exactly the keys
// dtype, shape and data_offsets per tensor, no duplicate keys, the data entirely indexed, the file length exact.
#include "safetensors_header.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <set>

#include "utf8.hpp"

namespace attend::detail {

namespace {

using nlohmann::json;

// Depth of a valid header: the header object 0, an entry or __metadata__ 1, shape and data_offsets 2.
constexpr int kMaxDepth = 2;

struct DTypeName {
  std::string_view name;
  DType dtype;
};
constexpr std::array<DTypeName, 7> kReadable = {{{"F32", DType::f32},
                                                 {"F64", DType::f64},
                                                 {"I64", DType::i64},
                                                 {"U8", DType::u8},
                                                 {"BOOL", DType::u8},
                                                 {"BF16", DType::bf16},
                                                 {"F16", DType::f16}}};
// Valid in safetensors files, not (yet) in attend.
constexpr std::array<std::string_view, 13> kUnsupported = {
    "I8", "I16", "I32", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"};

// "number -2", "string \"x\"", "array", "object": what a JSON value is, for error messages.
std::string describe(const json& value) {
  if (value.is_structured()) return value.type_name();
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return fmt::format("{} {}", value.type_name(), text);
}

// The value of a JSON integer >= 0 ("-0" included), or nothing for anything else.
std::optional<uint64_t> non_negative_integer(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() == 0) return 0;
  return std::nullopt;
}

// Parses the JSON text, rejecting duplicate keys (nlohmann keeps one silently) and nesting deeper than a
// header's, which also bounds the parser's memory on hostile input.
json parse_json(std::string_view text, const std::string& name) {
  struct Object {
    std::set<std::string> keys;
    std::string last_key;
  };
  std::vector<Object> objects;
  std::string duplicate;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        ATTEND_CHECK(depth <= kMaxDepth, "{}: header nests JSON deeper than a safetensors header (depth {} > {})", name,
                     depth, kMaxDepth);
        if (event == json::parse_event_t::object_start) objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        objects.pop_back();
        break;
      case json::parse_event_t::key: {
        std::string key = parsed.get<std::string>();
        if (duplicate.empty() && !objects.back().keys.insert(key).second) {
          const std::string parent = objects.size() == 1 ? "" : objects[objects.size() - 2].last_key;
          const bool meta = key == "__metadata__";
          duplicate = objects.size() == 1
                          ? fmt::format("header has a duplicate {} '{}'", meta ? "key" : "tensor name", key)
                      : parent == "__metadata__" ? fmt::format("__metadata__ has a duplicate key '{}'", key)
                                                 : fmt::format("tensor '{}' has a duplicate key '{}'", parent, key);
        }
        objects.back().last_key = std::move(key);
        break;
      }
      default:
        break;
    }
    return true;
  };
  // nlohmann stops at a NUL byte as at the end of input, which would hide whatever follows it.
  const size_t nul = text.find('\0');
  ATTEND_CHECK(nul == std::string_view::npos, "{}: header is not valid JSON: NUL byte at file offset {}", name,
               8 + nul);
  json header;
  try {
    header = json::parse(text.begin(), text.end(), callback);
  } catch (const json::exception& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column 6: ..."
    if (const size_t at = what.find("] "); what.starts_with("[json.exception") && at != std::string::npos) {
      what = what.substr(at + 2);
    }
    const auto* parse_error = dynamic_cast<const json::parse_error*>(&e);
    const size_t offset = parse_error && parse_error->byte > 0 ? 8 + parse_error->byte - 1 : 8;
    ATTEND_CHECK(false, "{}: header is not valid JSON (near file offset {}): {}", name, offset, what);
  }
  ATTEND_CHECK(duplicate.empty(), "{}: {} (each key may appear once)", name, duplicate);
  return header;
}

std::map<std::string, std::string> parse_metadata(const json& value, const std::string& name) {
  ATTEND_CHECK(value.is_object(), "{}: __metadata__ must be an object of strings, got {}", name, describe(value));
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    ATTEND_CHECK(item.is_string(), "{}: __metadata__ value of '{}' must be a string, got {}", name, key,
                 describe(item));
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

DType parse_dtype(const json& value, const std::string& name, const std::string& tensor) {
  ATTEND_CHECK(value.is_string(), "{}: tensor '{}': dtype must be a string, got {}", name, tensor, describe(value));
  const std::string text = value.get<std::string>();
  for (const DTypeName& known : kReadable) {
    if (text == known.name) return known.dtype;
  }
  const bool valid = std::find(kUnsupported.begin(), kUnsupported.end(), text) != kUnsupported.end();
  ATTEND_CHECK(!valid, "{}: tensor '{}': dtype {} is not supported (attend reads F32, F64, I64, U8, BOOL, BF16, F16)",
               name, tensor, text);
  ATTEND_CHECK(false, "{}: tensor '{}': unknown dtype '{}'", name, tensor, text);
  return DType::f32;  // unreachable
}

// The shape, checked so that numel, byte size and contiguous strides all fit in int64.
Shape parse_shape(const json& value, DType dtype, const std::string& name, const std::string& tensor) {
  ATTEND_CHECK(value.is_array(), "{}: tensor '{}': shape must be an array of integers, got {}", name, tensor,
               describe(value));
  Shape shape;
  uint64_t span = dtype_size(dtype);  // bytes, counting extents of 0 as 1
  bool overflow = false;
  for (size_t d = 0; d < value.size(); ++d) {
    const std::optional<uint64_t> extent = non_negative_integer(value[d]);
    ATTEND_CHECK(extent.has_value(), "{}: tensor '{}': shape[{}] must be a non-negative integer, got {}", name, tensor,
                 d, describe(value[d]));
    overflow = overflow || __builtin_mul_overflow(span, std::max<uint64_t>(*extent, 1), &span) ||
               span > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (!overflow) shape.push_back(static_cast<int64_t>(*extent));
  }
  ATTEND_CHECK(!overflow, "{}: tensor '{}': shape {} is too large (its size in bytes overflows int64)", name, tensor,
               value.dump());
  return shape;
}

SafetensorsEntry parse_entry(const std::string& tensor, const json& value, uint64_t data_size,
                             const std::string& name) {
  ATTEND_CHECK(value.is_object(), "{}: tensor '{}': entry must be an object with dtype, shape and data_offsets, got {}",
               name, tensor, describe(value));
  for (const auto& [key, item] : value.items()) {
    ATTEND_CHECK(key == "dtype" || key == "shape" || key == "data_offsets",
                 "{}: tensor '{}': unexpected key '{}' (expected dtype, shape and data_offsets)", name, tensor, key);
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    ATTEND_CHECK(value.contains(key), "{}: tensor '{}': missing key '{}'", name, tensor, key);
  }
  SafetensorsEntry entry{tensor, parse_dtype(value.at("dtype"), name, tensor), {}, 0, 0};
  entry.shape = parse_shape(value.at("shape"), entry.dtype, name, tensor);

  const json& offsets = value.at("data_offsets");
  ATTEND_CHECK(offsets.is_array() && offsets.size() == 2,
               "{}: tensor '{}': data_offsets must be an array [begin, end] of two integers, got {}", name, tensor,
               offsets.is_array() ? fmt::format("{} elements", offsets.size()) : describe(offsets));
  for (size_t i = 0; i < 2; ++i) {
    ATTEND_CHECK(non_negative_integer(offsets[i]).has_value(),
                 "{}: tensor '{}': data_offsets[{}] must be a non-negative integer, got {}", name, tensor, i,
                 describe(offsets[i]));
  }
  entry.begin = *non_negative_integer(offsets[0]);
  entry.end = *non_negative_integer(offsets[1]);
  ATTEND_CHECK(entry.begin <= entry.end, "{}: tensor '{}': data_offsets [{}, {}]: begin is after end", name, tensor,
               entry.begin, entry.end);
  ATTEND_CHECK(entry.end <= data_size,
               "{}: tensor '{}': data_offsets [{}, {}] reach past the end of the data ({} bytes; file truncated?)",
               name, tensor, entry.begin, entry.end, data_size);
  const uint64_t bytes = static_cast<uint64_t>(numel(entry.shape)) * dtype_size(entry.dtype);
  ATTEND_CHECK(entry.end - entry.begin == bytes,
               "{}: tensor '{}': data_offsets [{}, {}] hold {} bytes, but {} {} takes {} bytes", name, tensor,
               entry.begin, entry.end, entry.end - entry.begin, value.at("dtype").get<std::string>(),
               shape_str(entry.shape), bytes);
  return entry;
}

// The tensors, sorted by offset, must tile [0, data_size) exactly: no overlap, no gap, nothing left over.
void check_layout(std::vector<SafetensorsEntry>& entries, uint64_t data_size, uint64_t data_start,
                  const std::string& name) {
  std::sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end != b.end ? a.end < b.end : a.name < b.name;
  });
  uint64_t covered = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry& entry : entries) {
    ATTEND_CHECK(entry.begin >= covered, "{}: tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", name,
                 previous ? previous->name : "", previous ? previous->begin : 0, previous ? previous->end : 0,
                 entry.name, entry.begin, entry.end);
    ATTEND_CHECK(entry.begin == covered,
                 "{}: data bytes [{}, {}) before tensor '{}' belong to no tensor (safetensors requires the data to be "
                 "fully indexed, without gaps)",
                 name, covered, entry.begin, entry.name);
    covered = entry.end;
    previous = &entry;
  }
  ATTEND_CHECK(covered == data_size,
               "{}: the last {} bytes of data belong to no tensor (trailing bytes: the file has {} bytes, the header "
               "describes {})",
               name, data_size - covered, data_start + data_size, data_start + covered);
}

}  // namespace

SafetensorsHeader parse_safetensors_header(const unsigned char* bytes, size_t size, const std::string& name) {
  ATTEND_CHECK(size >= 8, "{}: file is {} bytes, too short for the 8-byte header length of a safetensors file", name,
               size);
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | bytes[i];  // little-endian
  ATTEND_CHECK(length > 0, "{}: header length is 0 (expected a JSON object)", name);
  ATTEND_CHECK(length <= kSafetensorsMaxHeader, "{}: header length {} exceeds the limit of {} bytes (100 MiB)", name,
               length, kSafetensorsMaxHeader);
  ATTEND_CHECK(length <= size - 8, "{}: header length {} is larger than the {} bytes that follow it (file truncated?)",
               name, length, size - 8);
  const std::string_view text(reinterpret_cast<const char*>(bytes + 8), length);
  const size_t bad = invalid_utf8_offset(text);
  ATTEND_CHECK(bad == std::string_view::npos, "{}: header is not valid UTF-8 (byte {:#04x} at file offset {})", name,
               static_cast<unsigned>(bytes[8 + bad]), 8 + bad);

  const json header = parse_json(text, name);
  ATTEND_CHECK(header.is_object(), "{}: header must be a JSON object, got {}", name, describe(header));
  ATTEND_CHECK(text.front() == '{', "{}: header must begin with '{{' at file offset 8, got byte {:#04x}", name,
               static_cast<unsigned>(bytes[8]));

  SafetensorsHeader result{{}, {}, 8 + length};
  const uint64_t data_size = size - result.data_start;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      result.metadata = parse_metadata(value, name);
    } else {
      result.entries.push_back(parse_entry(key, value, data_size, name));
    }
  }
  check_layout(result.entries, data_size, result.data_start, name);
  return result;
}

std::string_view safetensors_dtype_name(DType dtype) {
  for (const DTypeName& known : kReadable) {
    if (known.dtype == dtype) return known.name;  // U8 comes before BOOL
  }
  ATTEND_ASSERT(false, "no safetensors name for dtype {}", dtype_name(dtype));
  return "";
}

}  // namespace attend::detail
