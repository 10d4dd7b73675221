// The AVX-512 flash-attention tiles against the naive double-accumulating loops, forward (out, lse) and backward
// (dq, dk, dv): lengths around the 64-wide tiles and the GEMM's 6-row blocks, Tq ≠ Tk, head widths that are not
// multiples of 16, grouped-query heads, key lengths with 0 (fully masked rows), causal with offsets, bias and keep
// masks, dropout; no NaN; 1 vs 2 threads bitwise equal. The bf16 forward and backward against the naive loops that
// round the same inputs, within the rounding of a weight (and of a dS) per product term.
#include "attend/tensor/kernels/flash_attention.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "attend/core/threads.hpp"
#include "attend/tensor/kernels/bf16.hpp"

namespace attend::kernels {
namespace {

struct Config {
  int64_t b = 2, h = 2, hkv = 2, tq = 7, tk = 7, d = 16, dv = 16;
  bool lengths = false;
  std::optional<int64_t> causal = std::nullopt;
  bool bias = false, keep = false;
  double dropout = 0.0;
  uint64_t seed = 17, stream = 2, first = 5;  // of the dropout's Philox words (first: not block-aligned)
  bool bf16 = false;
};

std::string name(const Config& c) {
  std::ostringstream s;
  s << "B" << c.b << " H" << c.h << "/" << c.hkv << " Tq" << c.tq << " Tk" << c.tk << " D" << c.d << " Dv" << c.dv;
  if (c.lengths) s << " lengths";
  if (c.causal) s << " causal" << *c.causal;
  if (c.bias) s << " bias";
  if (c.keep) s << " keep";
  if (c.dropout > 0.0) s << " dropout" << c.dropout;
  if (c.bf16) s << " bf16";
  return s.str();
}

// Inputs and outputs of one problem, with every buffer owned here.
struct Case {
  std::vector<float> q, k, v, dout, bias, out, lse, dq, dk, dv;
  std::vector<int64_t> len;
  std::vector<uint8_t> keep;
  FlashAttentionProblem<float> p;

  explicit Case(const Config& c, uint32_t seed = 1) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> n(0.0F, 1.0F);
    auto fill = [&](std::vector<float>& x, int64_t size) {
      x.resize(static_cast<size_t>(size));
      for (float& e : x) e = n(gen);
    };
    fill(q, c.b * c.h * c.tq * c.d);
    fill(k, c.b * c.hkv * c.tk * c.d);
    fill(v, c.b * c.hkv * c.tk * c.dv);
    fill(dout, c.b * c.h * c.tq * c.dv);
    p = {.q = q.data(), .k = k.data(), .v = v.data(), .batch = c.b, .heads = c.h, .kv_heads = c.hkv, .tq = c.tq,
         .tk = c.tk, .dim = c.d, .dim_v = c.dv, .scale = 1.0 / std::sqrt(static_cast<double>(c.d))};
    if (c.lengths) {
      for (int64_t b = 0; b < c.b; ++b)  // item 0: no keys
        len.push_back(b == 0 ? 0 : std::max<int64_t>(1, c.tk - 3 * b));
      p.key_lengths = len.data();
    }
    if (c.causal) {
      p.causal = true;
      p.causal_offset = *c.causal;
    }
    if (c.bias) {  // [1, H, Tq, Tk]: broadcast over the batch
      fill(bias, c.h * c.tq * c.tk);
      p.bias = bias.data();
      p.bias_strides = {0, c.tq * c.tk, c.tk, 1};
    }
    if (c.keep) {  // [B, 1, 1, Tk] with one item dropping every key
      std::bernoulli_distribution coin(0.7);
      for (int64_t i = 0; i < c.b * c.tk; ++i) keep.push_back(i / c.tk == c.b - 1 ? 0 : coin(gen) ? 1 : 0);
      p.keep = keep.data();
      p.keep_strides = {c.tk, 0, 0, 1};
    }
    if (c.dropout > 0.0) p.dropout = {.p = c.dropout, .seed = c.seed, .stream = c.stream, .first = c.first};
    p.bf16 = c.bf16;
    out.assign(static_cast<size_t>(c.b * c.h * c.tq * c.dv), -7.0F);
    lse.assign(static_cast<size_t>(c.b * c.h * c.tq), -7.0F);
    dq.assign(q.size(), -7.0F);
    dk.assign(k.size(), -7.0F);
    dv.assign(v.size(), -7.0F);
  }

  void forward(bool naive) {
    if (naive) {
      flash_attention_forward_naive(p, out.data(), lse.data());
    } else {
      flash_attention_forward(p, out.data(), lse.data());
    }
  }
  void backward(bool naive) {
    if (naive) {
      flash_attention_backward_naive(p, out.data(), lse.data(), dout.data(), dq.data(), dk.data(), dv.data());
    } else {
      flash_attention_backward(p, out.data(), lse.data(), dout.data(), dq.data(), dk.data(), dv.data());
    }
  }
};

// |a − b| ≤ 1e-5·(1 + |b|) with equal infinities passing, and never a NaN.
void expect_close(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_FALSE(std::isnan(a[i])) << what << "[" << i << "] is NaN";
    if (a[i] == b[i]) continue;
    ASSERT_LE(std::abs(a[i] - b[i]), 1e-5 * (1.0 + std::abs(b[i]))) << what << "[" << i << "]: fused " << a[i]
                                                                      << " vs naive " << b[i];
  }
}

void check(const Config& c) {
  SCOPED_TRACE(name(c));
  Case fast(c), ref(c);
  fast.forward(false);
  ref.forward(true);
  expect_close(fast.out, ref.out, "out");
  expect_close(fast.lse, ref.lse, "lse");
  // backward of each from the reference forward, so only the backward differs
  fast.out = ref.out;
  fast.lse = ref.lse;
  fast.backward(false);
  ref.backward(true);
  expect_close(fast.dq, ref.dq, "dq");
  expect_close(fast.dk, ref.dk, "dk");
  expect_close(fast.dv, ref.dv, "dv");
}

TEST(FlashAttentionKernel, MatchesNaiveOverLengthsAndWidths) {
  for (int64_t n : {1, 7, 64, 129, 300})
    for (int64_t d : {16, 64, 80, 24}) check({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = d, .dv = d});
}

// The tiles' GEMM works in blocks of 6 rows (keys or queries) × up to 64 columns: lengths with every remainder
// modulo 6, within one tile and after full tiles, and column counts not a multiple of 16.
TEST(FlashAttentionKernel, MatchesNaiveForEveryRowBlockRemainder) {
  for (int64_t n : {2, 3, 5, 6, 11, 63, 64 + 9, 128 + 10})
    for (int64_t d : {64, 20}) check({.b = 1, .h = 2, .hkv = 2, .tq = n, .tk = n + 1, .d = d, .dv = d + 16});
}

TEST(FlashAttentionKernel, MatchesNaiveWithTqNotTkAndGroupedHeads) {
  check({.b = 1, .h = 4, .hkv = 2, .tq = 65, .tk = 130, .d = 24, .dv = 40});
  check({.b = 2, .h = 6, .hkv = 1, .tq = 200, .tk = 3, .d = 64, .dv = 16});
  check({.b = 1, .h = 2, .hkv = 2, .tq = 1, .tk = 300, .d = 128, .dv = 128});
}

TEST(FlashAttentionKernel, MatchesNaiveUnderMasks) {
  for (int64_t n : {7, 64, 129, 300}) {
    check({.b = 3, .h = 2, .hkv = 1, .tq = n, .tk = n, .d = 24, .dv = 24, .lengths = true});
    check({.b = 1, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = 64, .dv = 64, .causal = 0});
    check({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n + 70, .d = 16, .dv = 16, .causal = 70});  // cached keys
    check({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = 16, .dv = 16, .causal = -5});       // first rows empty
    check({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = 80, .dv = 80, .bias = true});
    check({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = 16, .dv = 16, .keep = true});
    check({.b = 3, .h = 4, .hkv = 2, .tq = n, .tk = n, .d = 24, .dv = 24, .lengths = true, .causal = 2, .bias = true,
           .keep = true});
  }
}

// The forward's units are blocks of up to 4 query tiles (256 queries) and the backward runs the key tiles in groups
// of 4 (256 keys): lengths with several blocks and groups and partial last ones, under causal (the block's query
// tiles end their key loops at different tiles) and key lengths.
TEST(FlashAttentionKernel, MatchesNaiveOverQueryBlocksAndKeyGroups) {
  // 8 heads or more: 4-tile blocks (smaller problems use 2 or 1 to keep 16 units)
  check({.b = 2, .h = 4, .hkv = 1, .tq = 600, .tk = 530, .d = 16, .dv = 16});
  check({.b = 2, .h = 4, .hkv = 2, .tq = 600, .tk = 600, .d = 16, .dv = 16, .causal = 0});
  check({.b = 2, .h = 4, .hkv = 4, .tq = 520, .tk = 700, .d = 16, .dv = 24, .lengths = true, .causal = 180});
  check({.b = 1, .h = 2, .hkv = 2, .tq = 513, .tk = 257, .d = 16, .dv = 16});  // 2 heads: 1-tile blocks
}

TEST(FlashAttentionKernel, FullyMaskedRowsGiveZerosAndInfiniteLse) {
  Config c{.b = 2, .h = 1, .hkv = 1, .tq = 70, .tk = 70, .d = 16, .dv = 16, .lengths = true, .causal = -3};
  Case r(c);
  r.forward(false);
  r.backward(false);
  for (int64_t i = 0; i < c.tq; ++i)  // item 0 has no keys; item 1's first 3 queries see none
    for (int64_t b = 0; b < 2; ++b) {
      if (b == 1 && i >= 3) continue;
      const int64_t row = b * c.tq + i;
      EXPECT_EQ(r.lse[static_cast<size_t>(row)], std::numeric_limits<float>::infinity()) << "b " << b << " i " << i;
      for (int64_t d = 0; d < c.dv; ++d) EXPECT_EQ(r.out[static_cast<size_t>(row * c.dv + d)], 0.0F);
      for (int64_t d = 0; d < c.d; ++d) EXPECT_EQ(r.dq[static_cast<size_t>(row * c.d + d)], 0.0F);
    }
  for (float g : r.dk) EXPECT_FALSE(std::isnan(g));
}

// A [B, heads, T, W] buffer stored as [B, T, heads, W + pad] (a head-split view of a [B, T, E] projection whose rows
// are padded): its FlashLayout and the data, pads -7.
struct Interleaved {
  int64_t b, heads, t, w, pad;
  std::vector<float> data;
  FlashLayout layout;

  Interleaved(int64_t b_, int64_t heads_, int64_t t_, int64_t w_, int64_t pad_, const std::vector<float>* from)
      : b(b_), heads(heads_), t(t_), w(w_), pad(pad_), data(static_cast<size_t>(b * t * heads * (w + pad)), -7.0F),
        layout{t * heads * (w + pad), w + pad, heads * (w + pad)} {
    if (from != nullptr)
      for_each([&](size_t flat, size_t at) { data[at] = (*from)[flat]; });
  }
  // f(index in the contiguous [B, heads, T, W], index here) for every element
  template <class F>
  void for_each(F&& f) const {
    for (int64_t i = 0; i < b * heads * t * w; ++i) {
      const int64_t x = i % w, r = i / w, ti = r % t, hi = (r / t) % heads, bi = r / (t * heads);
      f(static_cast<size_t>(i), static_cast<size_t>(bi * layout.b + hi * layout.h + ti * layout.t + x));
    }
  }
  std::vector<float> contiguous() const {
    std::vector<float> out(static_cast<size_t>(b * heads * t * w));
    for_each([&](size_t flat, size_t at) { out[flat] = data[at]; });
    return out;
  }
  int64_t pads_touched() const {  // pad elements that are not -7 any more
    int64_t n = 0;
    for (size_t i = 0; i < data.size(); ++i)
      if (static_cast<int64_t>(i) % (w + pad) >= w && data[i] != -7.0F) ++n;
    return n;
  }
};

// Every buffer in a head-interleaved, padded layout gives the contiguous results bitwise (the same sums in the same
// order), tiles and naive loops alike, and nothing is written outside the rows.
TEST(FlashAttentionKernel, HeadInterleavedLayoutsGiveTheContiguousResultsBitwise) {
  const Config c{.b = 2, .h = 4, .hkv = 2, .tq = 130, .tk = 70, .d = 24, .dv = 40, .causal = 0};
  for (bool naive : {false, true}) {
    SCOPED_TRACE(naive ? "naive" : "tiles");
    Case flat(c);
    flat.forward(naive);
    flat.backward(naive);
    Case s(c);
    const Interleaved q(c.b, c.h, c.tq, c.d, 3, &s.q), k(c.b, c.hkv, c.tk, c.d, 1, &s.k),
        v(c.b, c.hkv, c.tk, c.dv, 5, &s.v), dout(c.b, c.h, c.tq, c.dv, 2, &s.dout);
    Interleaved out(c.b, c.h, c.tq, c.dv, 4, nullptr), dq(c.b, c.h, c.tq, c.d, 1, nullptr),
        dk(c.b, c.hkv, c.tk, c.d, 2, nullptr), dv(c.b, c.hkv, c.tk, c.dv, 3, nullptr);
    FlashAttentionProblem<float> p = s.p;
    p.q = q.data.data();
    p.k = k.data.data();
    p.v = v.data.data();
    p.q_layout = q.layout;
    p.k_layout = k.layout;
    p.v_layout = v.layout;
    p.out_layout = out.layout;
    p.dout_layout = dout.layout;
    p.dq_layout = dq.layout;
    p.dk_layout = dk.layout;
    p.dv_layout = dv.layout;
    if (naive) {
      flash_attention_forward_naive(p, out.data.data(), s.lse.data());
      flash_attention_backward_naive(p, out.data.data(), s.lse.data(), dout.data.data(), dq.data.data(),
                                     dk.data.data(), dv.data.data());
    } else {
      flash_attention_forward(p, out.data.data(), s.lse.data());
      flash_attention_backward(p, out.data.data(), s.lse.data(), dout.data.data(), dq.data.data(), dk.data.data(),
                               dv.data.data());
    }
    EXPECT_EQ(out.contiguous(), flat.out);
    EXPECT_EQ(s.lse, flat.lse);
    EXPECT_EQ(dq.contiguous(), flat.dq);
    EXPECT_EQ(dk.contiguous(), flat.dk);
    EXPECT_EQ(dv.contiguous(), flat.dv);
    EXPECT_EQ(out.pads_touched() + dq.pads_touched() + dk.pads_touched() + dv.pads_touched(), 0);
  }
}

// Dropout: the tiles draw each weight's factor by its (b, h, i, j) index, whatever tile and block it falls in; with
// masks and grouped heads, and a p that drops most weights.
TEST(FlashAttentionKernel, MatchesNaiveWithDropout) {
  for (double p : {0.1, 0.5, 0.9}) {
    check({.b = 2, .h = 2, .hkv = 2, .tq = 129, .tk = 129, .d = 64, .dv = 64, .dropout = p});
    check({.b = 2, .h = 4, .hkv = 2, .tq = 70, .tk = 300, .d = 24, .dv = 40, .lengths = true, .dropout = p});
    check({.b = 1, .h = 2, .hkv = 1, .tq = 300, .tk = 300, .d = 16, .dv = 16, .causal = 0, .bias = true,
           .dropout = p});
  }
}

// Seeds and streams above 2³² and block numbers that carry into the counter's high word inside the problem (the
// tiles draw 16 Philox blocks at once; the naive loops one at a time through Rng::block_at).
TEST(FlashAttentionKernel, MatchesNaiveWithDropoutAtLargeSeedsStreamsAndCounters) {
  for (uint64_t first : {(uint64_t{1} << 34) - 4 * 3000 + 1, (uint64_t{1} << 34) - 4 * 3000 + 2, uint64_t{0}})
    check({.b = 2, .h = 2, .hkv = 2, .tq = 100, .tk = 129, .d = 16, .dv = 16, .dropout = 0.3,
           .seed = 0x123456789ABULL, .stream = 0xABCDEF012345ULL, .first = first});
  check({.b = 1, .h = 1, .hkv = 1, .tq = 64, .tk = 64, .d = 16, .dv = 16, .dropout = 1.0 - 1e-12});  // drops all
}

// The dropout factors are the dropout op's: about a fraction p of the weights is zero and the rest is 1 / (1 − p),
// so dropout changes the output, and a different first index draws other factors.
TEST(FlashAttentionKernel, DropoutFactorsFollowTheRngAndP) {
  const DropoutFactors d({.p = 0.25, .seed = 4, .stream = 1, .first = 3}, 2, 10, 1000);
  std::vector<float> z(1000);
  d.row(1, 1, 9, 0, 1000, z.data(), 1);
  const auto zeros = std::count(z.begin(), z.end(), 0.0F);
  EXPECT_GT(zeros, 200);
  EXPECT_LT(zeros, 300);
  EXPECT_EQ(std::count(z.begin(), z.end(), static_cast<float>(1.0 / 0.75)), 1000 - zeros);
  const Rng rng(4, 1);
  const uint64_t first_of_row = 3 + ((1 * 2 + 1) * 10 + 9) * 1000;
  for (int64_t j = 0; j < 1000; ++j)
    ASSERT_EQ(z[static_cast<size_t>(j)] == 0.0F, rng.word_at(first_of_row + static_cast<uint64_t>(j)) < 1073741824U)
        << "key " << j;
  Case plain({.tq = 64, .tk = 64}), dropped({.tq = 64, .tk = 64, .dropout = 0.25});
  plain.forward(false);
  dropped.forward(false);
  EXPECT_EQ(plain.lse, dropped.lse);  // the softmax's sums are those before dropout
  EXPECT_NE(plain.out, dropped.out);
}

TEST(FlashAttentionKernel, OneAndTwoThreadsAreBitwiseEqual) {
  const int saved = num_threads();
  for (const Config& c : {Config{.b = 2, .h = 4, .hkv = 2, .tq = 300, .tk = 257, .d = 64, .dv = 64, .causal = 0},
                          Config{.b = 1, .h = 3, .hkv = 3, .tq = 129, .tk = 129, .d = 80, .dv = 80, .bias = true},
                          Config{.b = 2, .h = 4, .hkv = 2, .tq = 600, .tk = 530, .d = 16, .dv = 16, .causal = 0},
                          Config{.b = 2, .h = 2, .hkv = 2, .tq = 200, .tk = 200, .d = 64, .dv = 64, .dropout = 0.3}}) {
    SCOPED_TRACE(name(c));
    Case one(c), two(c);
    set_num_threads(1);
    one.forward(false);
    one.backward(false);
    set_num_threads(2);
    two.forward(false);
    two.backward(false);
    EXPECT_EQ(one.out, two.out);
    EXPECT_EQ(one.lse, two.lse);
    EXPECT_EQ(one.dq, two.dq);
    EXPECT_EQ(one.dk, two.dk);
    EXPECT_EQ(one.dv, two.dv);
  }
  set_num_threads(saved);
}

// bf16: the scores are exact products of bf16 inputs summed in f32 (the naive loops: in double), so lse agrees to
// 1e-5; the output also rounds each weight to bf16 (the naive loops do not): at most 2⁻⁹·max|v| apart.
void check_bf16(Config c) {
  c.bf16 = true;
  SCOPED_TRACE(name(c));
  Case fast(c), ref(c);
  fast.forward(false);
  ref.forward(true);
  expect_close(fast.lse, ref.lse, "lse");
  float vmax = 0.0F;
  for (float x : fast.v) vmax = std::max(vmax, std::abs(x));
  const double tol = std::ldexp(1.0, -9) * vmax * 1.001 + 1e-5;
  for (size_t i = 0; i < fast.out.size(); ++i)
    ASSERT_LE(std::abs(fast.out[i] - ref.out[i]), tol) << "out[" << i << "]: bf16 tiles " << fast.out[i]
                                                       << " vs naive " << ref.out[i];
}

TEST(FlashAttentionKernel, Bf16MatchesNaiveOverLengthsWidthsAndMasks) {
  for (int64_t n : {1, 7, 64, 129, 300})
    for (int64_t d : {16, 64, 33}) check_bf16({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = d, .dv = d + 2});
  for (int64_t n : {7, 129, 300}) {
    check_bf16({.b = 3, .h = 2, .hkv = 1, .tq = n, .tk = n, .d = 24, .dv = 17, .lengths = true});
    check_bf16({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n + 3, .d = 16, .dv = 16, .causal = 3});
    check_bf16({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = 80, .dv = 80, .bias = true, .keep = true});
    check_bf16({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = 64, .dv = 64, .dropout = 0.3});
  }
  // 4-tile blocks whose query tiles end their keys at odd counts inside a shared key tile (causal offset 1, 5)
  check_bf16({.b = 2, .h = 8, .hkv = 2, .tq = 256, .tk = 257, .d = 64, .dv = 64, .causal = 1});
  check_bf16({.b = 2, .h = 8, .hkv = 8, .tq = 600, .tk = 610, .d = 20, .dv = 24, .lengths = true, .causal = 5});
}

// A key's value pairs with its neighbour's in the bf16 product: an inf value at a key some queries do not see (causal
// offset 1: query tile 0 ends at key 65, whose pair partner is key 64) and NaN values past an item's key length must
// not reach those queries.
TEST(FlashAttentionKernel, Bf16ValuesOfUnseenKeysStayOut) {
  const Config c{.b = 2, .h = 8, .hkv = 1, .tq = 256, .tk = 256, .d = 16, .dv = 16, .lengths = true, .causal = 1,
                 .bf16 = true};
  Case fast(c), ref(c);
  for (Case* x : {&fast, &ref}) {
    for (int64_t e = 0; e < c.dv; ++e) x->v[static_cast<size_t>((c.tk + 65) * c.dv + e)] = std::numeric_limits<float>::infinity();  // item 1
    for (int64_t j = x->len[1]; j < c.tk; ++j)
      for (int64_t e = 0; e < c.dv; ++e)
        x->v[static_cast<size_t>((c.tk + j) * c.dv + e)] = std::numeric_limits<float>::quiet_NaN();
  }
  fast.forward(false);
  ref.forward(true);
  for (int64_t h = 0; h < c.h; ++h)
    for (int64_t i = 0; i < 64; ++i)  // item 0 has no keys; item 1's first tile sees keys up to 65 and the length
      for (int64_t b = 0; b < c.b; ++b)
        for (int64_t e = 0; e < c.dv; ++e) {
          const size_t at = static_cast<size_t>(((b * c.h + h) * c.tq + i) * c.dv + e);
          ASSERT_TRUE(std::isfinite(fast.out[at])) << "b " << b << " h " << h << " query " << i << ": " << fast.out[at];
          ASSERT_NEAR(fast.out[at], ref.out[at], 0.02) << "b " << b << " h " << h << " query " << i;
        }
}

TEST(FlashAttentionKernel, Bf16DiffersFromF32ByItsRoundingAndNotMore) {
  Case f32({.b = 2, .h = 2, .hkv = 2, .tq = 200, .tk = 200, .d = 64, .dv = 64}),
      b16({.b = 2, .h = 2, .hkv = 2, .tq = 200, .tk = 200, .d = 64, .dv = 64, .bf16 = true});
  f32.forward(false);
  b16.forward(false);
  double out_diff = 0.0, lse_diff = 0.0;
  for (size_t i = 0; i < f32.out.size(); ++i) out_diff = std::max<double>(out_diff, std::abs(f32.out[i] - b16.out[i]));
  for (size_t i = 0; i < f32.lse.size(); ++i) lse_diff = std::max<double>(lse_diff, std::abs(f32.lse[i] - b16.lse[i]));
  EXPECT_GT(out_diff, 1e-4);  // the products did take bf16 inputs
  EXPECT_LT(out_diff, 0.05);
  EXPECT_GT(lse_diff, 1e-5);
  EXPECT_LT(lse_diff, 0.05);
}

TEST(FlashAttentionKernel, Bf16WeightsFromItsLseSumToOne) {
  Case r({.b = 2, .h = 2, .hkv = 1, .tq = 130, .tk = 77, .d = 64, .dv = 64, .causal = 0, .bf16 = true});
  r.forward(false);
  std::vector<float> w(static_cast<size_t>(2 * 2 * 130 * 77), -1.0F);
  flash_attention_weights(r.p, r.lse.data(), w.data(), 0, 2);
  for (int64_t row = 0; row < 2 * 2 * 130; ++row) {
    double sum = 0.0;
    for (int64_t j = 0; j < 77; ++j) sum += w[static_cast<size_t>(row * 77 + j)];
    ASSERT_NEAR(sum, 1.0, 1e-5) << "row " << row;
  }
}

// The bf16 backward against the naive loops (which round q, k, v and dout alike, not p·z and dS): the tiles also
// round each p_ij z_ij and dS_ij, by at most 2⁻⁹ of it, so each gradient element may differ by 2⁻⁹ of the sum of
// its terms' magnitudes, Σ_i |p z|·|dout| (dv), Σ_i |dS|·|q| (dk), Σ_j |dS|·|k| (dq); checked per element against
// 2⁻⁸ of that sum (the f32 sums of the tiles' dp add a little) + 1e-5.
void check_bf16_backward(Config c) {
  c.bf16 = true;
  SCOPED_TRACE(name(c));
  Case fast(c), ref(c);
  ref.forward(true);
  fast.out = ref.out;
  fast.lse = ref.lse;
  fast.backward(false);
  ref.backward(true);
  const int64_t g = c.h / c.hkv;
  std::vector<double> bdq(ref.dq.size()), bdk(ref.dk.size()), bdv(ref.dv.size());
  std::vector<float> w(static_cast<size_t>(c.b * c.h * c.tq * c.tk));
  flash_attention_weights(ref.p, ref.lse.data(), w.data(), 0, c.h);
  const DropoutFactors drop(ref.p.dropout, c.h, c.tq, c.tk);
  std::vector<double> z(static_cast<size_t>(c.tk), 1.0);
  auto r = [](float x) { return static_cast<double>(round_bf16(x)); };
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t h = 0; h < c.h; ++h)
      for (int64_t i = 0; i < c.tq; ++i) {
        const size_t qi = static_cast<size_t>(((b * c.h + h) * c.tq + i));
        if (drop.active()) drop.row(b, h, i, 0, c.tk, z.data(), 1);
        double delta = 0.0;
        for (int64_t e = 0; e < c.dv; ++e)
          delta += static_cast<double>(ref.dout[qi * c.dv + e]) * static_cast<double>(ref.out[qi * c.dv + e]);
        for (int64_t j = 0; j < c.tk; ++j) {
          const double pj = w[qi * c.tk + j], zj = z[static_cast<size_t>(j)];
          if (pj == 0.0) continue;
          const size_t kj = static_cast<size_t>((b * c.hkv + h / g) * c.tk + j);
          double dp = 0.0;
          for (int64_t e = 0; e < c.dv; ++e) dp += r(ref.dout[qi * c.dv + e]) * r(ref.v[kj * c.dv + e]);
          const double ds = std::abs(pj * (zj * dp - delta) * ref.p.scale);
          for (int64_t e = 0; e < c.dv; ++e) bdv[kj * c.dv + e] += pj * zj * std::abs(r(ref.dout[qi * c.dv + e]));
          for (int64_t e = 0; e < c.d; ++e) {
            bdk[kj * c.d + e] += ds * std::abs(r(ref.q[qi * c.d + e]));
            bdq[qi * c.d + e] += ds * std::abs(r(ref.k[kj * c.d + e]));
          }
        }
      }
  auto expect_within = [](const std::vector<float>& a, const std::vector<float>& b, const std::vector<double>& bound,
                          const char* what) {
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_FALSE(std::isnan(a[i])) << what << "[" << i << "] is NaN";
      ASSERT_LE(std::abs(a[i] - b[i]), std::ldexp(bound[i], -8) + 1e-5 * (1.0 + std::abs(b[i])))
          << what << "[" << i << "]: bf16 tiles " << a[i] << " vs naive " << b[i] << " (terms' magnitudes "
          << bound[i] << ")";
    }
  };
  expect_within(fast.dq, ref.dq, bdq, "dq");
  expect_within(fast.dk, ref.dk, bdk, "dk");
  expect_within(fast.dv, ref.dv, bdv, "dv");
}

TEST(FlashAttentionKernel, Bf16BackwardMatchesNaiveOverLengthsWidthsAndMasks) {
  for (int64_t n : {1, 7, 64, 129})
    for (int64_t d : {16, 64, 33}) check_bf16_backward({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = d, .dv = d + 2});
  for (int64_t n : {7, 129}) {
    check_bf16_backward({.b = 3, .h = 2, .hkv = 1, .tq = n, .tk = n, .d = 24, .dv = 17, .lengths = true});
    check_bf16_backward({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n + 3, .d = 16, .dv = 16, .causal = 3});
    check_bf16_backward({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = 80, .dv = 80, .bias = true, .keep = true});
    check_bf16_backward({.b = 2, .h = 2, .hkv = 2, .tq = n, .tk = n, .d = 64, .dv = 64, .dropout = 0.3});
  }
  // key groups (256 keys) ending at odd key counts, Tq ≠ Tk, grouped heads
  check_bf16_backward({.b = 1, .h = 4, .hkv = 2, .tq = 257, .tk = 301, .d = 32, .dv = 32, .causal = 1});
  check_bf16_backward({.b = 2, .h = 2, .hkv = 2, .tq = 300, .tk = 531, .d = 20, .dv = 24, .lengths = true});
}

TEST(FlashAttentionKernel, Bf16BackwardDiffersFromF32ByItsRoundingAndNotMore) {
  Case f32({.b = 2, .h = 2, .hkv = 2, .tq = 200, .tk = 200, .d = 64, .dv = 64}),
      b16({.b = 2, .h = 2, .hkv = 2, .tq = 200, .tk = 200, .d = 64, .dv = 64, .bf16 = true});
  for (Case* x : {&f32, &b16}) {
    x->forward(false);
    x->backward(false);
  }
  for (auto [a, b, what] : {std::tuple{&f32.dq, &b16.dq, "dq"}, std::tuple{&f32.dk, &b16.dk, "dk"},
                            std::tuple{&f32.dv, &b16.dv, "dv"}}) {
    double diff = 0.0, size = 0.0;
    for (size_t i = 0; i < a->size(); ++i) {
      diff = std::max<double>(diff, std::abs((*a)[i] - (*b)[i]));
      size = std::max<double>(size, std::abs((*a)[i]));
    }
    EXPECT_GT(diff, 1e-4 * size) << what << ": the products did take bf16 inputs";
    EXPECT_LT(diff, 0.03 * size) << what;
  }
}

TEST(FlashAttentionKernel, Bf16OneAndTwoThreadsAreBitwiseEqual) {
  const int saved = num_threads();
  for (const Config& c :
       {Config{.b = 2, .h = 8, .hkv = 2, .tq = 300, .tk = 257, .d = 64, .dv = 64, .causal = 1, .bf16 = true},
        Config{.b = 1, .h = 3, .hkv = 3, .tq = 129, .tk = 129, .d = 33, .dv = 40, .bias = true, .dropout = 0.2,
               .bf16 = true}}) {
    SCOPED_TRACE(name(c));
    Case one(c), two(c);
    set_num_threads(1);
    one.forward(false);
    one.backward(false);
    set_num_threads(2);
    two.forward(false);
    two.backward(false);
    EXPECT_EQ(one.out, two.out);
    EXPECT_EQ(one.lse, two.lse);
    EXPECT_EQ(one.dq, two.dq);
    EXPECT_EQ(one.dk, two.dk);
    EXPECT_EQ(one.dv, two.dv);
  }
  set_num_threads(saved);
}

}  // namespace
}  // namespace attend::kernels
