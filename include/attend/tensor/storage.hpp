// Storage: a reference-counted block of bytes that one or more Tensors view.
//
// Owned storage is 64-byte aligned (one AVX-512 register, one cache line) and comes from attend::allocate, which
// caches large blocks (core/allocator.hpp). Borrowed storage wraps memory that belongs
// to someone else (a memory-mapped safetensors file) and keeps its owner alive through `keepalive`.
#pragma once

#include <cstddef>
#include <memory>

namespace attend {

class Storage {
 public:
  /// Allocates `bytes` uninitialised bytes, 64-byte aligned.
  explicit Storage(size_t bytes);
  /// Borrows `bytes` bytes at `data`; `keepalive` owns them (may be null for static memory).
  Storage(void* data, size_t bytes, std::shared_ptr<const void> keepalive);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  bool owned_ = false;
  std::shared_ptr<const void> keepalive_;
};

}  // namespace attend
