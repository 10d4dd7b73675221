// The block cache (see allocator.hpp). One mutex guards it: it is taken once per allocation and per free, nearly
// always by the thread that runs the graph, so it is uncontended (~20 ns, less than glibc's own locking). The cache is a leaked singleton, so tensors freed during static destruction
// still find it.
#include "attend/core/allocator.hpp"

#include <bit>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

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
  std::multimap<size_t, void*> blocks;            // large: size class -> block
  std::vector<std::vector<void*>> small{kCachedBlockMin / 64};  // small: [size class / 64 - 1] -> blocks
  size_t small_bytes = 0;
  size_t limit = initial_limit();
  AllocatorStats stats;

  void forget(void* p, size_t rounded) {
    ATTEND_UNPOISON(p, rounded);
    std::free(p);
    stats.cached_bytes -= rounded;
    --stats.cached_blocks;
  }

  // Frees blocks (large ones first, largest first) until at most `target` bytes are held. Caller holds the mutex.
  void shrink_to(size_t target) {
    while (stats.cached_bytes > target && !blocks.empty()) {
      auto last = std::prev(blocks.end());
      forget(last->second, last->first);
      blocks.erase(last);
    }
    for (size_t k = small.size(); k-- > 0 && stats.cached_bytes > target;) {
      while (!small[k].empty() && stats.cached_bytes > target) {
        forget(small[k].back(), (k + 1) * 64);
        small_bytes -= (k + 1) * 64;
        small[k].pop_back();
      }
    }
  }

  // A cached block of class `rounded`, or nullptr. Caller holds the mutex.
  void* take(size_t rounded) {
    void* p = nullptr;
    if (rounded >= kCachedBlockMin) {
      auto it = blocks.find(rounded);
      if (it == blocks.end()) return nullptr;
      p = it->second;
      blocks.erase(it);
    } else {
      std::vector<void*>& list = small[rounded / 64 - 1];
      if (list.empty()) return nullptr;
      p = list.back();
      list.pop_back();
      small_bytes -= rounded;
    }
    stats.cached_bytes -= rounded;
    --stats.cached_blocks;
    ATTEND_UNPOISON(p, rounded);
    return p;
  }

  // Keeps `p` of class `rounded` if it fits; false when the caller must free it. Caller holds the mutex.
  bool keep(void* p, size_t rounded) {
    if (stats.cached_bytes + rounded > limit) return false;
    if (rounded >= kCachedBlockMin) {
      blocks.emplace(rounded, p);
    } else {
      if (small_bytes + rounded > kSmallCacheLimit) return false;
      small[rounded / 64 - 1].push_back(p);
      small_bytes += rounded;
    }
    ATTEND_POISON(p, rounded);
    stats.cached_bytes += rounded;
    ++stats.cached_blocks;
    return true;
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
  {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    if (void* p = c.take(rounded)) {
      ++c.stats.hits;
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
  {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    if (c.keep(data, rounded)) return;
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
