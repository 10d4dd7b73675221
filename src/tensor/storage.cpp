#include "attend/tensor/storage.hpp"

#include <cstdlib>
#include <new>

#include "attend/core/error.hpp"

namespace attend {

Storage::Storage(size_t bytes) : bytes_(bytes), owned_(true) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  data_ = rounded == 0 ? nullptr : std::aligned_alloc(64, rounded);
  ATTEND_CHECK(rounded == 0 || data_ != nullptr, "out of memory allocating {} bytes for a tensor", bytes);
}

Storage::Storage(void* data, size_t bytes, std::shared_ptr<const void> keepalive)
    : data_(data), bytes_(bytes), owned_(false), keepalive_(std::move(keepalive)) {}

Storage::~Storage() {
  if (owned_) std::free(data_);
}

}  // namespace attend
