// WeightPackGuard: while one lives on a thread, linear() packs each f32 weight that it multiplies by few rows
// (≤ kPackedLinearRows) once, for kernels::row_gemm, and reuses the panels at every later call with that weight,
// forward and backward.
//
// Why: a time loop multiplies its [B, H] state by the same weights at every step. OpenBLAS's sgemm re-packs the whole
// weight on each call, which at B = 32 costs about as much as the product itself: the attention decoder's query
// projection, the context columns of W_ih and W_hh, packed once per step forward and once per step backward, were
// ~13% of a seq2seq training step (perf: sgemm_incopy / sgemm_itcopy). Under the guard each is packed twice per
// forward: Wᵀ for y = x·Wᵀ at once, W for dx = gy·W at its first backward use.
//
// Contract: the weights must not change while the guard lives, nor before the backward of what was computed under
// it (the rule every tensor saved for backward follows). The guard keeps each packed weight's storage alive, so a
// cached address cannot be taken by another tensor. Nested guards share the outermost one's panels. Outside a guard,
// with f64, with more rows, or without AVX-512, linear() calls BLAS as before. Results equal BLAS's to rounding
// (tests/unit/ops/weight_pack_test.cpp); they are bitwise equal for 1 and 2 threads.
//
//   WeightPackGuard packed;                       // e.g. AttentionDecoder::forward, around its time loop
//   for (t...) h = tanh(linear(h, w_hh, b_hh));   // [B, H] -> [B, H]: W_hh packed at t = 0 only
#pragma once

#include <cstdint>
#include <memory>

#include "attend/tensor/tensor.hpp"

namespace attend {

/// Rows (x flattened to [rows, in]) up to which linear() uses the packed weight under a guard.
inline constexpr int64_t kPackedLinearRows = 64;

namespace detail {
/// A weight packed for row_gemm: Wᵀ [in, out] at once, W [out, in] on the first backward_panels().
class PackedWeight {
 public:
  explicit PackedWeight(const Tensor& weight);
  const float* forward_panels() const { return forward_.data<float>(); }  // B = Wᵀ: y = x·Wᵀ
  const float* backward_panels();                                          // B = W: dx = gy·W
  bool matches(const Tensor& weight) const;

 private:
  Tensor weight_;  // [out, in], any strides: held so its address stays this weight's
  Tensor forward_, backward_;
};
/// The packed weight for `weight` when a guard is active on this thread and `rows` ≤ kPackedLinearRows (f32 with
/// AVX-512), else null.
std::shared_ptr<PackedWeight> packed_weight(const Tensor& weight, int64_t rows);
}  // namespace detail

class WeightPackGuard {
 public:
  WeightPackGuard();
  ~WeightPackGuard();
  WeightPackGuard(const WeightPackGuard&) = delete;
  WeightPackGuard& operator=(const WeightPackGuard&) = delete;

 private:
  bool outermost_;
};

}  // namespace attend
