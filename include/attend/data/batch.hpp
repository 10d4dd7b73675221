// Batch: a padded mini-batch of a parallel corpus, the unit the trainer, the evaluator and the decoder consume.
//
// Token ids come from the source and target vocabularies (vocab.hpp), whose four special tokens have fixed ids:
// <pad> 0, <unk> 1, <s> 2 (BOS), </s> 3 (EOS). For an example with source ids x (length Ts_i) and target ids y
// (length Tt_i):
//   src[i]     = x, then <pad> up to Ts            src_lengths[i] = Ts_i
//   tgt_in[i]  = <s> y, then <pad> up to Tt        (teacher forcing input, the target shifted right)
//   tgt_out[i] = y </s>, then <pad> up to Tt       (what the model must predict; <pad> is ignored by the loss)
// so Tt = max_i(Tt_i) + 1. Shapes: src i64 [B, Ts], src_lengths i64 [B], tgt_in and tgt_out i64 [B, Tt].
//
// Usage:
//   Batch b = make_batch(examples, {3, 0, 7});      // examples 3, 0 and 7 of a corpus, in that order
//   auto out = model.forward(b.src, b.src_lengths, b.tgt_in);   // loss against b.tgt_out
#pragma once

#include <cstdint>
#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend::data {

inline constexpr int64_t kPadId = 0;
inline constexpr int64_t kUnkId = 1;
inline constexpr int64_t kBosId = 2;
inline constexpr int64_t kEosId = 3;

/// One example as token ids (no BOS/EOS: make_batch adds them).
struct EncodedExample {
  std::vector<int64_t> src;
  std::vector<int64_t> tgt;
};

struct Batch {
  Tensor src;          ///< i64 [B, Ts]
  Tensor src_lengths;  ///< i64 [B]
  Tensor tgt_in;       ///< i64 [B, Tt]
  Tensor tgt_out;      ///< i64 [B, Tt]
  std::vector<int64_t> indices;  ///< which examples, in row order
  int64_t target_tokens = 0;     ///< non-pad entries of tgt_out (the loss's token count)
  int64_t size() const { return static_cast<int64_t>(indices.size()); }
};

/// Pads examples[indices[i]] into row i. Throws naming the index when it is out of range, when `indices` is empty,
/// or when an example has an empty source (a zero source length cannot be attended to).
Batch make_batch(const std::vector<EncodedExample>& examples, const std::vector<int64_t>& indices);

}  // namespace attend::data
