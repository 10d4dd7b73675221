// Element types. f32 trains and infers, f64 runs gradchecks, i64 holds ids and lengths, u8 holds bool masks.
// bf16 and f16 exist for reading checkpoints (safetensors); math on them comes later behind the same API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attend/core/error.hpp"

namespace attend {

enum class DType : uint8_t { f32, f64, i64, u8, bf16, f16 };

/// Bytes per element.
size_t dtype_size(DType dtype);
/// "f32", "f64", "i64", "u8", "bf16", "f16".
std::string_view dtype_name(DType dtype);
bool is_floating(DType dtype);

template <class T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }

/// Calls f(T{}) with T = float or double for a floating dtype; throws naming `op` otherwise.
/// Usage: dispatch_floating(x.dtype(), "tanh", [&](auto tag) { using T = decltype(tag); ... });
template <class F>
decltype(auto) dispatch_floating(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    default: break;
  }
  throw Error(fmt::format("{}: expected a floating tensor (f32 or f64), got {}", op, dtype_name(dtype)));
}

/// Like dispatch_floating, also accepting i64 and u8.
template <class F>
decltype(auto) dispatch_all(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i64: return f(int64_t{});
    case DType::u8: return f(uint8_t{});
    default: break;
  }
  throw Error(fmt::format("{}: dtype {} is storage-only (convert it with to(DType::f32) first)", op, dtype_name(dtype)));
}

}  // namespace attend
