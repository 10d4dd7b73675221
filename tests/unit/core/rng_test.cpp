#include "attend/core/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attend/core/error.hpp"
#include "attend/core/threads.hpp"

namespace attend {
namespace {

// Known-answer vectors of Philox 4x32-10 from the Random123 distribution (kat_vectors).
TEST(Philox, KnownAnswers) {
  EXPECT_EQ(philox4x32({0, 0}, {0, 0, 0, 0}), (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}),
            (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32({0xa4093822, 0x299f31d0}, {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Rng, DrawsDependOnlyOnSeedStreamAndIndex) {
  Rng a(42), b(42), c(42, 1), d(43);
  std::vector<float> va(100), vb(100), vc(100), vd(100);
  a.fill_uniform(va.data(), 100);
  b.fill_uniform(vb.data(), 60);
  b.fill_uniform(vb.data() + 60, 40);  // two draws continue the same sequence
  c.fill_uniform(vc.data(), 100);
  d.fill_uniform(vd.data(), 100);
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  EXPECT_NE(va, vd);
  EXPECT_EQ(a.offset(), 100u);
  Rng resumed(42, 0, 60);  // a saved (seed, stream, offset) resumes exactly
  std::vector<float> tail(40);
  resumed.fill_uniform(tail.data(), 40);
  EXPECT_EQ(std::vector<float>(va.begin() + 60, va.end()), tail);
}

TEST(Rng, UniformAndNormalMoments) {
  Rng rng(7);
  std::vector<double> u(200000), n(200000);
  rng.fill_uniform(u.data(), static_cast<int64_t>(u.size()), -1.0, 3.0);
  rng.fill_normal(n.data(), static_cast<int64_t>(n.size()), 2.0, 0.5);
  double su = 0, sn = 0, sn2 = 0, lo = 1e9, hi = -1e9;
  for (double v : u) {
    su += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  for (double v : n) {
    sn += v;
    sn2 += v * v;
  }
  const double count = static_cast<double>(u.size());
  EXPECT_NEAR(su / count, 1.0, 0.01);
  EXPECT_GE(lo, -1.0);
  EXPECT_LT(hi, 3.0);
  const double mean = sn / count;
  EXPECT_NEAR(mean, 2.0, 0.005);
  EXPECT_NEAR(std::sqrt(sn2 / count - mean * mean), 0.5, 0.005);
}

TEST(Rng, NextBelowStaysInRange) {
  Rng rng(3);
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 5000; ++i) counts[rng.next_below(5)]++;
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
  EXPECT_THROW(rng.next_below(0), Error);
}

TEST(Threads, SetAndGet) {
  const int before = num_threads();
  set_num_threads(1);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(before);
  EXPECT_EQ(num_threads(), before);
  EXPECT_THROW(set_num_threads(0), Error);
}

}  // namespace
}  // namespace attend
