// The allocator behind every owned tensor: 64-byte aligned blocks, with a bounded cache of freed blocks.
//
// Why a cache: a fresh large block comes from mmap and costs one page fault per 4 KiB on first touch (~2 GB/s on
// these machines), more than the work itself for memory-bound ops such as softmax over [8, 8, 512, 512]. Blocks of at
// least kCachedBlockMin bytes are therefore kept when freed (up to the cache limit) and handed out again to the next
// request of the same size class; sizes are rounded up to 1/8 of their power of two, so at most 12.5% is wasted.
// Small blocks (multiples of 64 bytes) are kept too, one free list per size, up to kSmallCacheLimit bytes: a training
// step of a small recurrent model frees and asks again for thousands of blocks of the same few sizes. Measured with
// perf on `attend demo`, the share of glibc's allocator and page-fault symbols fell from 11.3% to 10.0% with it; the
// rest is the graph's own small objects (operator new), which this cache does not see. Under AddressSanitizer,
// cached blocks are poisoned, so a use after free still reports.
//
// Usage:
//   void* p = attend::allocate(bytes);  ...  attend::deallocate(p, bytes);   // Storage does this for tensors
//   attend::set_allocator_cache_limit(256 << 20);                          // 0 disables the cache
//   attend::release_cached_memory();                                      // return every cached block now
#pragma once

#include <cstddef>
#include <cstdint>

namespace attend {

inline constexpr size_t kCachedBlockMin = size_t{1} << 20;  ///< smaller blocks are never cached
inline constexpr size_t kDefaultCacheLimit = size_t{1} << 30;
inline constexpr size_t kSmallCacheLimit = size_t{64} << 20;  ///< small blocks held at most (within the limit)

struct AllocatorStats {
  size_t cached_bytes = 0;   ///< bytes held by the cache right now
  size_t cached_blocks = 0;  ///< blocks held by the cache right now
  uint64_t hits = 0;         ///< requests served from the cache
  uint64_t misses = 0;       ///< requests that went to the C allocator
};

/// `bytes` uninitialised bytes, 64-byte aligned; nullptr for 0 bytes. Throws attend::Error when out of memory.
void* allocate(size_t bytes);
/// Frees a block from allocate(); `bytes` must be the size it was allocated with.
void deallocate(void* data, size_t bytes);

/// The most bytes the cache may hold (default kDefaultCacheLimit, or ATTEND_CACHE_LIMIT_MIB from the environment).
/// Lowering it releases cached blocks until the cache fits.
void set_allocator_cache_limit(size_t bytes);
size_t allocator_cache_limit();
/// Frees every cached block.
void release_cached_memory();
AllocatorStats allocator_stats();

}  // namespace attend
