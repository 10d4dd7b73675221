#include "attend/tensor/storage.hpp"

#include "attend/core/allocator.hpp"

namespace attend {

Storage::Storage(size_t bytes) : data_(allocate(bytes)), bytes_(bytes), owned_(true) {}

Storage::Storage(void* data, size_t bytes, std::shared_ptr<const void> keepalive)
    : data_(data), bytes_(bytes), owned_(false), keepalive_(std::move(keepalive)) {}

Storage::~Storage() {
  if (owned_) deallocate(data_, bytes_);
}

}  // namespace attend
