// The allocator's block cache: reuse of a freed block of the same size class (large and small), the limits, release,
// alignment, and a tensor round trip (a freed tensor's storage serves the next one of its size).
#include "attend/core/allocator.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend {
namespace {

class AllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_limit_ = allocator_cache_limit();
    set_allocator_cache_limit(kDefaultCacheLimit);
    release_cached_memory();
  }
  void TearDown() override { set_allocator_cache_limit(saved_limit_); }
  size_t saved_limit_ = 0;
};

TEST_F(AllocatorTest, LargeBlockIsReusedForTheSameSizeClass) {
  const size_t bytes = 3 * kCachedBlockMin + 100;
  void* a = allocate(bytes);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(a, 1, bytes);  // the whole requested size is usable
  deallocate(a, bytes);
  const AllocatorStats cached = allocator_stats();
  EXPECT_EQ(cached.cached_blocks, 1u);
  EXPECT_GE(cached.cached_bytes, bytes);
  EXPECT_LE(cached.cached_bytes, bytes + bytes / 8 + 64);  // size classes waste at most 1/8
  void* b = allocate(bytes - 50);  // same class
  EXPECT_EQ(b, a);
  EXPECT_EQ(allocator_stats().hits, cached.hits + 1);
  EXPECT_EQ(allocator_stats().cached_blocks, 0u);
  deallocate(b, bytes - 50);
}

TEST_F(AllocatorTest, DifferentSizeClassMisses) {
  void* a = allocate(2 * kCachedBlockMin);
  deallocate(a, 2 * kCachedBlockMin);
  const uint64_t misses = allocator_stats().misses;
  void* b = allocate(4 * kCachedBlockMin);
  EXPECT_EQ(allocator_stats().misses, misses + 1);
  EXPECT_EQ(allocator_stats().cached_blocks, 1u);  // the 2 MiB block is still cached
  deallocate(b, 4 * kCachedBlockMin);
}

TEST_F(AllocatorTest, SmallBlockIsReusedForTheSameSizeOnly) {
  void* a = allocate(1000);  // class 1024
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(a, 1, 1000);
  deallocate(a, 1000);
  EXPECT_EQ(allocator_stats().cached_blocks, 1u);
  EXPECT_EQ(allocator_stats().cached_bytes, 1024u);
  void* other = allocate(1100);  // class 1152: not the cached block
  EXPECT_NE(other, a);
  EXPECT_EQ(allocator_stats().cached_blocks, 1u);
  void* b = allocate(961);  // class 1024 again
  EXPECT_EQ(b, a);
  EXPECT_EQ(allocator_stats().cached_blocks, 0u);
  deallocate(b, 961);
  deallocate(other, 1100);
  release_cached_memory();
  EXPECT_EQ(allocator_stats().cached_bytes, 0u);
  EXPECT_EQ(allocate(0), nullptr);
  deallocate(nullptr, 0);  // a no-op
}

TEST_F(AllocatorTest, SmallBlocksAreBoundedBySmallCacheLimit) {
  const size_t bytes = 256 << 10;  // 256 KiB: the small cache holds kSmallCacheLimit / bytes of them
  const size_t fit = kSmallCacheLimit / bytes;
  std::vector<void*> blocks;
  for (size_t i = 0; i < fit + 3; ++i) blocks.push_back(allocate(bytes));
  for (void* p : blocks) deallocate(p, bytes);
  EXPECT_EQ(allocator_stats().cached_blocks, fit);
  EXPECT_EQ(allocator_stats().cached_bytes, kSmallCacheLimit);
  set_allocator_cache_limit(bytes * 2);  // lowering the limit frees small blocks too
  EXPECT_EQ(allocator_stats().cached_blocks, 2u);
}

TEST_F(AllocatorTest, LimitBoundsTheCacheAndLoweringItReleases) {
  std::vector<void*> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(allocate(2 * kCachedBlockMin));
  set_allocator_cache_limit(5 * kCachedBlockMin);
  for (void* p : blocks) deallocate(p, 2 * kCachedBlockMin);
  EXPECT_EQ(allocator_stats().cached_blocks, 2u);  // the third and fourth no longer fit
  EXPECT_LE(allocator_stats().cached_bytes, 5 * kCachedBlockMin);
  set_allocator_cache_limit(kCachedBlockMin);
  EXPECT_EQ(allocator_stats().cached_blocks, 0u);
  set_allocator_cache_limit(0);
  void* p = allocate(2 * kCachedBlockMin);
  deallocate(p, 2 * kCachedBlockMin);
  EXPECT_EQ(allocator_stats().cached_bytes, 0u);  // limit 0 disables caching
}

TEST_F(AllocatorTest, ReleaseFreesEverything) {
  void* a = allocate(2 * kCachedBlockMin);
  void* b = allocate(3 * kCachedBlockMin);
  deallocate(a, 2 * kCachedBlockMin);
  deallocate(b, 3 * kCachedBlockMin);
  EXPECT_EQ(allocator_stats().cached_blocks, 2u);
  release_cached_memory();
  EXPECT_EQ(allocator_stats().cached_blocks, 0u);
  EXPECT_EQ(allocator_stats().cached_bytes, 0u);
}

TEST_F(AllocatorTest, FreedTensorStorageServesTheNextTensor) {
  const void* first = nullptr;
  {
    Tensor t = Tensor::zeros({512, 1024});  // 2 MiB
    first = t.data<float>();
  }
  Tensor u = Tensor::ones({1024, 512});
  EXPECT_EQ(static_cast<const void*>(u.data<float>()), first);
  EXPECT_EQ(u.at({1023, 511}), 1.0);  // reused memory is initialised by the creator, not left stale
}

TEST_F(AllocatorTest, ConcurrentAllocationsAreSafe) {
#pragma omp parallel for num_threads(2)
  for (int i = 0; i < 200; ++i) {
    const size_t bytes = (1 + i % 3) * kCachedBlockMin;
    auto* p = static_cast<unsigned char*>(allocate(bytes));
    p[0] = p[bytes - 1] = static_cast<unsigned char>(i);
    deallocate(p, bytes);
  }
  const AllocatorStats s = allocator_stats();
  EXPECT_LE(s.cached_blocks, 6u);  // at most one block per size class per thread
}

}  // namespace
}  // namespace attend
