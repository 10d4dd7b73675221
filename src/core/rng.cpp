#include "attend/core/rng.hpp"

#include <cmath>
#include <numbers>

#include "attend/core/error.hpp"

namespace attend {

std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 2> key, std::array<uint32_t, 4> ctr) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxMul0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kPhiloxMul1) * ctr[2];
    ctr = {static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<uint32_t>(p0)};
    key[0] += kPhiloxWeyl0;
    key[1] += kPhiloxWeyl1;
  }
  return ctr;
}

std::array<uint32_t, 4> Rng::block_at(uint64_t block) const {
  return philox4x32({static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32)},
                    {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(stream_),
                     static_cast<uint32_t>(stream_ >> 32)});
}

uint32_t Rng::word_at(uint64_t index) const { return block_at(index / 4)[index % 4]; }

namespace {

// 24 (float) or 53 (double) random bits mapped to [0, 1).
double unit_from_words(uint32_t hi, uint32_t lo, bool wide) {
  if (!wide) return static_cast<double>(hi >> 8) * (1.0 / 16777216.0);
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((uint64_t{1} << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// Calls f(i, word) for the words at indices [first, first + count) of this (seed, stream), one Philox block per
// four words.
template <class F>
void for_each_word(const Rng& rng, uint64_t first, uint64_t count, F&& f) {
  uint64_t i = 0;
  while (i < count) {
    const uint64_t index = first + i;
    const auto words = rng.block_at(index / 4);
    for (uint64_t lane = index % 4; lane < 4 && i < count; ++lane, ++i) f(i, words[lane]);
  }
}

template <class T>
void fill_uniform_impl(Rng& rng, T* out, int64_t n, double lo, double hi) {
  // float: one word per value (24 bits); double: two words per value (53 bits).
  constexpr uint64_t kWords = sizeof(T) == 8 ? 2 : 1;
  const uint64_t first = rng.advance(static_cast<uint64_t>(n) * kWords);
  uint32_t hi_word = 0;
  for_each_word(rng, first, static_cast<uint64_t>(n) * kWords, [&](uint64_t i, uint32_t w) {
    if (kWords == 2 && i % 2 == 0) {
      hi_word = w;
      return;
    }
    const double u = kWords == 2 ? unit_from_words(hi_word, w, true) : unit_from_words(w, 0, false);
    out[i / kWords] = static_cast<T>(lo + (hi - lo) * u);
  });
}

template <class T>
void fill_normal_impl(Rng& rng, T* out, int64_t n, double mean, double stddev) {
  // Each output uses two words (u1, u2) of its own indices, so element i is independent of n.
  const uint64_t first = rng.advance(static_cast<uint64_t>(n) * 2);
  uint32_t w1 = 0;
  for_each_word(rng, first, static_cast<uint64_t>(n) * 2, [&](uint64_t i, uint32_t w) {
    if (i % 2 == 0) {
      w1 = w;
      return;
    }
    const double u1 = (static_cast<double>(w1) + 1.0) * (1.0 / 4294967297.0);  // (0, 1)
    const double u2 = static_cast<double>(w) * (1.0 / 4294967296.0);            // [0, 1)
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    out[i / 2] = static_cast<T>(mean + stddev * z);
  });
}

}  // namespace

void Rng::fill_uniform(float* out, int64_t n, double lo, double hi) { fill_uniform_impl(*this, out, n, lo, hi); }
void Rng::fill_uniform(double* out, int64_t n, double lo, double hi) { fill_uniform_impl(*this, out, n, lo, hi); }
void Rng::fill_normal(float* out, int64_t n, double mean, double stddev) { fill_normal_impl(*this, out, n, mean, stddev); }
void Rng::fill_normal(double* out, int64_t n, double mean, double stddev) {
  fill_normal_impl(*this, out, n, mean, stddev);
}

uint64_t Rng::next_below(uint64_t bound) {
  ATTEND_CHECK(bound > 0, "Rng::next_below: bound must be positive, got 0");
  const uint64_t at = advance(2);
  const uint64_t r = (static_cast<uint64_t>(word_at(at)) << 32) | word_at(at + 1);
  return r % bound;  // bias below 2^-32 for the bounds attend uses (corpus sizes)
}

}  // namespace attend
