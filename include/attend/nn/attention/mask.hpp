// AttentionMask: which keys each query may attend to, as typed constraints instead of a bare boolean whose polarity
// a reader must guess.
//
// A mask is a conjunction of parts; each part is one of
//   key_lengths(lengths)  i64 [B]: item b keeps keys j < lengths[b] (0 ≤ lengths[b] ≤ Tk)
//   keep_keys(keep)       u8 [B, Tk], 1 = the key may be attended to
//   drop_keys(drop)       u8 [B, Tk], 1 = the key is masked out (PyTorch's key_padding_mask polarity, said out loud)
//   causal(offset)        query i keeps key j iff j ≤ i + offset (offset = number of cached keys when decoding
//                         incrementally, so a new query at position P + i sees keys 0..P + i)
//   keep(keep), drop(m)   u8, broadcastable to the scores [B, H, Tq, Tk] (or [B, Tq, Tk] without heads)
//   bias(b)               float Var broadcastable to the scores, added to them (ALiBi, relative positions, a
//                         PyTorch float attn_mask); -inf entries mask; the bias may require a gradient
// and `a & b` keeps a key only where both keep it, adding biases. An empty mask keeps everything.
//
// apply(scores) is the one place masks become numbers: scores + bias, then -inf at dropped keys. softmax then gives
// a row whose keys are all dropped weights 0 and gradient 0, never NaN (ops/softmax.hpp).
// with_kept_keys_appended(n) extends every part to n extra trailing keys that are always kept (MultiHeadAttention's
// add_bias_kv and add_zero_attn append such keys, as PyTorch does).
//
// Usage:
//   AttentionMask m = AttentionMask::key_lengths(src_lengths) & AttentionMask::causal();
//   Var weights = softmax(m.apply(scores), -1);                 // scores [B, H, Tq, Tk]
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "attend/autograd/var.hpp"

namespace attend::nn {

class AttentionMask {
 public:
  /// Keeps every key.
  AttentionMask() = default;

  static AttentionMask key_lengths(const Tensor& lengths);
  static AttentionMask keep_keys(const Tensor& keep);
  static AttentionMask drop_keys(const Tensor& drop);
  static AttentionMask causal(int64_t offset = 0);
  static AttentionMask keep(const Tensor& keep);
  static AttentionMask drop(const Tensor& drop);
  static AttentionMask bias(const Var& bias);

  /// Both masks: a key is kept where both keep it; biases add.
  AttentionMask operator&(const AttentionMask& other) const;
  /// The same constraints on the first keys, plus `n` trailing keys that every query keeps.
  AttentionMask with_kept_keys_appended(int64_t n) const;

  /// True when no part was given (apply returns the scores unchanged).
  bool empty() const;
  /// True when some part can drop a key (everything but bias).
  bool drops_keys() const;

  /// scores [B, Tq, Tk] or [B, H, Tq, Tk] -> same shape: scores + Σ bias, then -inf at every dropped key.
  /// Throws attend::Error naming the mask part, its shape and the scores' shape when they do not fit.
  Var apply(const Var& scores) const;
  /// The kept keys as u8 (1 = keep) of exactly `scores_shape` (rank 3 or 4), materialised; all ones when nothing
  /// drops. For kernels that take an explicit mask and for inspection.
  Tensor keep_tensor(const Shape& scores_shape) const;

  /// The dropped keys as u8 (1 = drop) in the smallest shape that broadcasts to `scores_shape` (rank 3 or 4);
  /// undefined when nothing drops. Validates every part against the scores' shape.
  Tensor drop_tensor(const Shape& scores_shape) const;

  /// Throws naming the entry when key_lengths does not have the scores' batch or a length is outside [0, Tk].
  void check_lengths(const Shape& scores_shape) const;

  // The parts, for fused kernels that handle a part natively (lengths and causal skip work instead of masking it).
  const std::optional<Tensor>& lengths() const { return lengths_; }
  const std::optional<int64_t>& causal_offset() const { return causal_; }
  const std::vector<Var>& bias_parts() const { return biases_; }
  int64_t appended_keys() const { return appended_; }
  bool has_keep_parts() const { return !keeps_.empty(); }

 private:
  enum class Layout { key, full };  // key: [B, Tk]; full: broadcastable to the scores
  std::optional<Tensor> lengths_;
  std::optional<int64_t> causal_;
  std::vector<Tensor> keeps_;  // u8, 1 = keep; drop forms are converted at construction
  std::vector<Layout> keep_layouts_;
  std::vector<Var> biases_;
  int64_t appended_ = 0;
};

}  // namespace attend::nn
