// The large-block cache (see allocator.hpp). One mutex guards it: large allocations are rare next to the work done
// on them, so the lock is never hot. The cache is a leaked singleton, so tensors freed during static destruction
// still find it.
#include "attend/core/allocator.hpp"

#include <bit>
#include <cstdlib>
#include <map>
#include <mutex>

#include "attend/core/error.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ATTEND_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ATTEND_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ATTEND_POISON(p, n) ((void)(p), (void)(n))
#define ATTEND_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace attend {

namespace {

// Rounds a block size up to its class: multiples of 64 below kCachedBlockMin, else 1/8 of its power of two.
size_t size_class(size_t bytes) {
  if (bytes < kCachedBlockMin) return (bytes + 63) / 64 * 64;
  const size_t step = std::bit_floor(bytes) / 8;
  return (bytes + step - 1) / step * step;
}

size_t initial_limit() {
  const char* env = std::getenv("ATTEND_CACHE_LIMIT_MIB");
  if (env == nullptr || *env == '\0') return kDefaultCacheLimit;
  char* end = nullptr;
  const unsigned long long mib = std::strtoull(env, &end, 10);
  if (*end != '\0' || mib > (size_t{1} << 24)) return kDefaultCacheLimit;  // malformed: keep the default
  return static_cast<size_t>(mib) << 20;
}

struct Cache {
  std::mutex mutex;
  std::multimap<size_t, void*> blocks;  // size class -> block
  size_t limit = initial_limit();
  AllocatorStats stats;

  // Frees blocks (largest first) until at most `target` bytes are held. Caller holds the mutex.
  void shrink_to(size_t target) {
    while (stats.cached_bytes > target && !blocks.empty()) {
      auto last = std::prev(blocks.end());
      ATTEND_UNPOISON(last->second, last->first);
      std::free(last->second);
      stats.cached_bytes -= last->first;
      --stats.cached_blocks;
      blocks.erase(last);
    }
  }
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: see the file comment
  return *c;
}

}  // namespace

void* allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  const size_t rounded = size_class(bytes);
  if (rounded >= kCachedBlockMin) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    auto it = c.blocks.find(rounded);
    if (it != c.blocks.end()) {
      void* p = it->second;
      c.blocks.erase(it);
      c.stats.cached_bytes -= rounded;
      --c.stats.cached_blocks;
      ++c.stats.hits;
      ATTEND_UNPOISON(p, rounded);
      return p;
    }
    ++c.stats.misses;
  }
  void* p = std::aligned_alloc(64, rounded);
  ATTEND_CHECK(p != nullptr, "out of memory allocating {} bytes for a tensor", bytes);
  return p;
}

void deallocate(void* data, size_t bytes) {
  if (data == nullptr) return;
  const size_t rounded = size_class(bytes);
  if (rounded >= kCachedBlockMin) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    if (c.stats.cached_bytes + rounded <= c.limit) {
      ATTEND_POISON(data, rounded);
      c.blocks.emplace(rounded, data);
      c.stats.cached_bytes += rounded;
      ++c.stats.cached_blocks;
      return;
    }
  }
  std::free(data);
}

void set_allocator_cache_limit(size_t bytes) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  c.limit = bytes;
  c.shrink_to(bytes);
}

size_t allocator_cache_limit() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return c.limit;
}

void release_cached_memory() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  c.shrink_to(0);
}

AllocatorStats allocator_stats() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return c.stats;
}

}  // namespace attend
