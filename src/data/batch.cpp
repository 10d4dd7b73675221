// make_batch: pads examples into src / tgt_in / tgt_out with BOS/EOS as batch.hpp lays them out.
#include "attend/data/batch.hpp"

#include <algorithm>

#include "attend/core/error.hpp"

namespace attend::data {

Batch make_batch(const std::vector<EncodedExample>& examples, const std::vector<int64_t>& indices) {
  ATTEND_CHECK(!indices.empty(), "make_batch: indices is empty; a batch needs at least one example");
  const int64_t n = static_cast<int64_t>(examples.size());
  const int64_t batch = static_cast<int64_t>(indices.size());
  int64_t max_src = 0, max_tgt = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const int64_t i = indices[r];
    ATTEND_CHECK(i >= 0 && i < n, "make_batch: indices[{}] = {} is out of range for {} examples", r, i, n);
    const EncodedExample& e = examples[i];
    ATTEND_CHECK(!e.src.empty(),
                 "make_batch: example {} (indices[{}]) has an empty source; a zero-length source cannot be attended to",
                 i, r);
    max_src = std::max(max_src, static_cast<int64_t>(e.src.size()));
    max_tgt = std::max(max_tgt, static_cast<int64_t>(e.tgt.size()));
  }
  const int64_t ts = max_src, tt = max_tgt + 1;  // tgt_in: <s> y; tgt_out: y </s>
  std::vector<int64_t> src(batch * ts, kPadId), lengths(batch), tgt_in(batch * tt, kPadId), tgt_out(batch * tt, kPadId);
  int64_t target_tokens = 0;
  for (int64_t r = 0; r < batch; ++r) {
    const EncodedExample& e = examples[indices[r]];
    const int64_t ls = static_cast<int64_t>(e.src.size()), lt = static_cast<int64_t>(e.tgt.size());
    std::copy(e.src.begin(), e.src.end(), src.begin() + r * ts);
    lengths[r] = ls;
    tgt_in[r * tt] = kBosId;
    std::copy(e.tgt.begin(), e.tgt.end(), tgt_in.begin() + r * tt + 1);
    std::copy(e.tgt.begin(), e.tgt.end(), tgt_out.begin() + r * tt);
    tgt_out[r * tt + lt] = kEosId;
    target_tokens += lt + 1;
  }
  Batch b;
  b.src = Tensor::from_vector<int64_t>(src, {batch, ts});               // [B, Ts]
  b.src_lengths = Tensor::from_vector<int64_t>(lengths, {batch});       // [B]
  b.tgt_in = Tensor::from_vector<int64_t>(tgt_in, {batch, tt});         // [B, Tt]
  b.tgt_out = Tensor::from_vector<int64_t>(tgt_out, {batch, tt});       // [B, Tt]
  b.indices = indices;
  b.target_tokens = target_tokens;
  return b;
}

}  // namespace attend::data
