// Counter-based random numbers: Philox 4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3").
//
// A random value is a pure function of (seed, stream, index): element i of a draw does not depend on how many threads
// produced it or in which order, so dropout masks and data shuffles are reproducible everywhere. An Rng is a cursor
// (seed, stream, offset); each draw of n values consumes indices [offset, offset + n) and advances the offset, so a
// saved (seed, stream, offset) triple resumes the sequence exactly.
//
// Usage:
//   Rng rng(42);                        // seed 42, stream 0
//   rng.fill_normal(x.data<float>(), x.numel());
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace attend {

/// Philox 4x32-10's round multipliers and key increments (philox4x32 and the vectorised copies in kernels use these).
inline constexpr uint32_t kPhiloxMul0 = 0xD2511F53u, kPhiloxMul1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxWeyl0 = 0x9E3779B9u, kPhiloxWeyl1 = 0xBB67AE85u;

/// Dropout's keep rule, shared by the dropout op and the fused attention: an element whose Philox word (uniform over
/// [0, 2³²)) is ≥ this threshold is kept, so the keep probability is (2³² − threshold) / 2³² ≈ 1 − p; p = 1 gives
/// 2³² (nothing kept).
inline uint64_t dropout_keep_threshold(double p) { return static_cast<uint64_t>(std::llround(p * 4294967296.0)); }

/// One Philox 4x32-10 block: 4 independent uniform 32-bit words for (key, counter).
std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 2> key, std::array<uint32_t, 4> counter);

class Rng {
 public:
  explicit Rng(uint64_t seed = 0, uint64_t stream = 0, uint64_t offset = 0)
      : seed_(seed), stream_(stream), offset_(offset) {}

  /// The four 32-bit words at indices [4·block, 4·block + 4) of this (seed, stream); does not move the cursor.
  std::array<uint32_t, 4> block_at(uint64_t block) const;
  /// The 32-bit word at `index` of this (seed, stream); does not move the cursor.
  uint32_t word_at(uint64_t index) const;

  /// Uniform in [lo, hi) (float: 24 random bits, double: 53 random bits).
  void fill_uniform(float* out, int64_t n, double lo = 0.0, double hi = 1.0);
  void fill_uniform(double* out, int64_t n, double lo = 0.0, double hi = 1.0);
  /// Standard normal times stddev plus mean (Box-Muller on pairs of words).
  void fill_normal(float* out, int64_t n, double mean = 0.0, double stddev = 1.0);
  void fill_normal(double* out, int64_t n, double mean = 0.0, double stddev = 1.0);
  /// A uniform integer in [0, bound) (bound > 0), consuming two words.
  uint64_t next_below(uint64_t bound);
  /// Reserves n words and returns the index of the first one (for kernels that draw by index themselves).
  uint64_t advance(uint64_t n) {
    const uint64_t first = offset_;
    offset_ += n;
    return first;
  }

  uint64_t seed() const { return seed_; }
  uint64_t stream() const { return stream_; }
  uint64_t offset() const { return offset_; }

 private:
  uint64_t seed_;
  uint64_t stream_;
  uint64_t offset_;
};

}  // namespace attend
