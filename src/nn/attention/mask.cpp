// AttentionMask: parts are validated against the scores' shape when applied (a mask is built before the scores
// exist), combined into one small u8 "drop" tensor that broadcasts to the scores, and applied with masked_fill.
#include "attend/nn/attention/mask.hpp"

#include <cmath>

#include "attend/core/error.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/shape.hpp"
#include "attend/tensor/indexing.hpp"

namespace attend::nn {

namespace {

// A u8 copy where 1 marks a kept key; `invert` flips the polarity of a drop mask.
Tensor to_keep(const Tensor& mask, bool invert, const char* what) {
  ATTEND_CHECK(mask.defined(), "AttentionMask::{}: the mask tensor is undefined", what);
  ATTEND_CHECK(mask.dtype() == DType::u8, "AttentionMask::{}: the mask must be u8 (0/1), got {} of shape {}", what,
               dtype_name(mask.dtype()), shape_str(mask.shape()));
  Tensor src = mask.contiguous();
  Tensor out = Tensor::empty(mask.shape(), DType::u8);
  const uint8_t* s = src.data<uint8_t>();
  uint8_t* d = out.data<uint8_t>();
  for (int64_t i = 0; i < mask.numel(); ++i) d[i] = static_cast<uint8_t>((s[i] != 0) != invert);
  return out;
}

Tensor key_part(const Tensor& mask, bool invert, const char* what) {
  ATTEND_CHECK(mask.defined() && mask.dim() == 2, "AttentionMask::{}: the mask must be [B, Tk], got shape {}", what,
               mask.defined() ? shape_str(mask.shape()) : std::string("undefined"));
  return to_keep(mask, invert, what);
}

struct ScoreDims {
  int64_t rank, batch, tq, tk;
};

ScoreDims score_dims(const Shape& s, int64_t appended) {
  ATTEND_CHECK(s.size() == 3 || s.size() == 4,
               "attention mask: scores must be [B, Tq, Tk] or [B, H, Tq, Tk], got shape {}", shape_str(s));
  const auto r = static_cast<int64_t>(s.size());
  ATTEND_CHECK(s[r - 1] >= appended, "attention mask: scores shape {} has fewer keys than the {} appended ones",
               shape_str(s), appended);
  return {r, s[0], s[r - 2], s[r - 1] - appended};
}

// ones of `shape` with extent `tk` in the last dim replaced, left-padded to rank r.
Shape padded(const Shape& shape, int64_t r) {
  Shape out(static_cast<size_t>(r) - std::min(shape.size(), static_cast<size_t>(r)), 1);
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

}  // namespace

AttentionMask AttentionMask::key_lengths(const Tensor& lengths) {
  ATTEND_CHECK(lengths.defined() && lengths.dtype() == DType::i64 && lengths.dim() == 1,
               "AttentionMask::key_lengths: lengths must be i64 [B], got {} of shape {}",
               lengths.defined() ? dtype_name(lengths.dtype()) : "undefined",
               lengths.defined() ? shape_str(lengths.shape()) : std::string("[]"));
  AttentionMask m;
  m.lengths_ = lengths.contiguous();
  return m;
}

AttentionMask AttentionMask::keep_keys(const Tensor& keep) {
  AttentionMask m;
  m.keeps_.push_back(key_part(keep, false, "keep_keys"));
  m.keep_layouts_.push_back(Layout::key);
  return m;
}

AttentionMask AttentionMask::drop_keys(const Tensor& drop) {
  AttentionMask m;
  m.keeps_.push_back(key_part(drop, true, "drop_keys"));
  m.keep_layouts_.push_back(Layout::key);
  return m;
}

AttentionMask AttentionMask::causal(int64_t offset) {
  AttentionMask m;
  m.causal_ = offset;
  return m;
}

AttentionMask AttentionMask::keep(const Tensor& keep) {
  AttentionMask m;
  m.keeps_.push_back(to_keep(keep, false, "keep"));
  m.keep_layouts_.push_back(Layout::full);
  return m;
}

AttentionMask AttentionMask::drop(const Tensor& drop) {
  AttentionMask m;
  m.keeps_.push_back(to_keep(drop, true, "drop"));
  m.keep_layouts_.push_back(Layout::full);
  return m;
}

AttentionMask AttentionMask::bias(const Var& bias) {
  ATTEND_CHECK(bias.defined(), "AttentionMask::bias: the bias is undefined");
  ATTEND_CHECK(is_floating(bias.dtype()), "AttentionMask::bias: the bias must be a floating tensor, got {} of shape {}",
               dtype_name(bias.dtype()), shape_str(bias.shape()));
  AttentionMask m;
  m.biases_.push_back(bias);
  return m;
}

AttentionMask AttentionMask::operator&(const AttentionMask& other) const {
  ATTEND_CHECK(appended_ == other.appended_,
               "AttentionMask: cannot combine masks with different appended keys ({} and {})", appended_,
               other.appended_);
  AttentionMask m = *this;
  if (other.lengths_) {
    if (m.lengths_) {  // two length limits: the shorter wins, as a key-keep part
      Tensor a = *m.lengths_;
      Tensor b = *other.lengths_;
      ATTEND_CHECK(a.numel() == b.numel(), "AttentionMask: combining key_lengths of shapes {} and {}",
                   shape_str(a.shape()), shape_str(b.shape()));
      Tensor lo = Tensor::empty(a.shape(), DType::i64);
      for (int64_t i = 0; i < a.numel(); ++i) lo.data<int64_t>()[i] = std::min(a.data<int64_t>()[i], b.data<int64_t>()[i]);
      m.lengths_ = lo;
    } else {
      m.lengths_ = other.lengths_;
    }
  }
  if (other.causal_) m.causal_ = m.causal_ ? std::min(*m.causal_, *other.causal_) : *other.causal_;
  m.keeps_.insert(m.keeps_.end(), other.keeps_.begin(), other.keeps_.end());
  m.keep_layouts_.insert(m.keep_layouts_.end(), other.keep_layouts_.begin(), other.keep_layouts_.end());
  m.biases_.insert(m.biases_.end(), other.biases_.begin(), other.biases_.end());
  return m;
}

AttentionMask AttentionMask::with_kept_keys_appended(int64_t n) const {
  ATTEND_CHECK(n >= 0, "AttentionMask::with_kept_keys_appended: n must be >= 0, got {}", n);
  AttentionMask m = *this;
  m.appended_ += n;
  return m;
}

bool AttentionMask::empty() const { return !drops_keys() && biases_.empty(); }

bool AttentionMask::drops_keys() const { return lengths_.has_value() || causal_.has_value() || !keeps_.empty(); }

void AttentionMask::check_lengths(const Shape& scores_shape) const {
  if (!lengths_) return;
  const ScoreDims d = score_dims(scores_shape, appended_);
  const Tensor& len = *lengths_;
  ATTEND_CHECK(len.numel() == d.batch,
               "attention mask: key_lengths has {} entries but the scores have batch {}; scores shape {}", len.numel(),
               d.batch, shape_str(scores_shape));
  const int64_t* l = len.data<int64_t>();
  for (int64_t b = 0; b < d.batch; ++b)
    ATTEND_CHECK(l[b] >= 0 && l[b] <= d.tk, "attention mask: key_lengths[{}] = {} is outside [0, {}] (Tk)", b, l[b],
                 d.tk);
}

Tensor AttentionMask::drop_tensor(const Shape& scores_shape) const {
  const ScoreDims d = score_dims(scores_shape, appended_);
  if (!drops_keys()) return Tensor();
  const int64_t r = d.rank;
  // The union shape of the parts, each right-aligned to rank r with Tk0 = d.tk keys.
  Shape u(static_cast<size_t>(r), 1);
  u[static_cast<size_t>(r - 1)] = d.tk;
  if (lengths_) u[0] = d.batch;
  if (causal_) u[static_cast<size_t>(r - 2)] = d.tq;
  Shape scores0 = scores_shape;
  scores0[static_cast<size_t>(r - 1)] = d.tk;
  for (size_t k = 0; k < keeps_.size(); ++k) {
    const Tensor& p = keeps_[k];
    if (keep_layouts_[k] == Layout::key) {
      ATTEND_CHECK(p.shape()[0] == d.batch && p.shape()[1] == d.tk,
                   "attention mask: key mask shape {} does not match the scores (expected [{}, {}]); scores shape {}",
                   shape_str(p.shape()), d.batch, d.tk, shape_str(scores_shape));
      u[0] = d.batch;
    } else {
      ATTEND_CHECK(p.dim() <= r, "attention mask: mask shape {} has more dims than the scores {}",
                   shape_str(p.shape()), shape_str(scores_shape));
      const Shape pp = padded(p.shape(), r);
      for (int64_t i = 0; i < r; ++i) {
        const auto si = static_cast<size_t>(i);
        ATTEND_CHECK(pp[si] == 1 || pp[si] == scores0[si],
                     "attention mask: mask shape {} does not broadcast to the scores {} (dim {}: {} vs {})",
                     shape_str(p.shape()), shape_str(scores0), i, pp[si], scores0[si]);
        if (pp[si] != 1) u[si] = pp[si];
      }
    }
  }
  // Accumulate keep = AND of all parts over u, then invert.
  Tensor keep = Tensor::ones(u, DType::u8);
  uint8_t* out = keep.data<uint8_t>();
  const int64_t n = keep.numel();
  const Strides us = keep.strides();
  auto coord = [&](int64_t flat, int64_t dim) { return (flat / us[static_cast<size_t>(dim)]) % u[static_cast<size_t>(dim)]; };
  if (lengths_) {
    check_lengths(scores_shape);
    const int64_t* l = lengths_->data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      if (coord(i, r - 1) >= l[coord(i, 0)]) out[i] = 0;
  }
  if (causal_) {
    for (int64_t i = 0; i < n; ++i)
      if (coord(i, r - 1) > coord(i, r - 2) + *causal_) out[i] = 0;
  }
  for (size_t k = 0; k < keeps_.size(); ++k) {
    const Tensor p = keep_layouts_[k] == Layout::key
                         ? keeps_[k].reshape(r == 4 ? Shape{d.batch, 1, 1, d.tk} : Shape{d.batch, 1, d.tk})
                         : keeps_[k].reshape(padded(keeps_[k].shape(), r));
    const Tensor e = p.expand(u).contiguous();
    const uint8_t* src = e.data<uint8_t>();
    for (int64_t i = 0; i < n; ++i) out[i] &= src[i];
  }
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(out[i] == 0);
  if (appended_ == 0) return keep;
  Shape tail = u;
  tail[static_cast<size_t>(r - 1)] = appended_;
  return concat({keep, Tensor::zeros(tail, DType::u8)}, r - 1);
}

Tensor AttentionMask::keep_tensor(const Shape& scores_shape) const {
  const Tensor drop = drop_tensor(scores_shape);
  Tensor keep = Tensor::ones(scores_shape, DType::u8);
  if (!drop.defined()) return keep;
  const Tensor e = drop.expand(scores_shape).contiguous();
  for (int64_t i = 0; i < keep.numel(); ++i) keep.data<uint8_t>()[i] = static_cast<uint8_t>(e.data<uint8_t>()[i] == 0);
  return keep;
}

Var AttentionMask::apply(const Var& scores) const {
  ATTEND_CHECK(scores.defined(), "attention mask: the scores are undefined");
  const Shape& s = scores.value().shape();
  const ScoreDims d = score_dims(s, appended_);
  Var out = scores;
  for (const Var& b : biases_) {
    Var bias = b;
    const Shape bs = bias.value().shape();
    ATTEND_CHECK(bs.size() <= s.size(), "attention mask: bias shape {} has more dims than the scores {}",
                 shape_str(bs), shape_str(s));
    if (appended_ > 0 && !bs.empty() && bs.back() == d.tk && d.tk != s.back()) {  // appended keys get bias 0
      Shape tail = bs;
      tail.back() = appended_;
      bias = concat({bias, Var(Tensor::zeros(tail, bias.value().dtype()))}, -1);
    }
    const Shape pb = padded(bias.value().shape(), d.rank);
    for (size_t i = 0; i < pb.size(); ++i)
      ATTEND_CHECK(pb[i] == 1 || pb[i] == s[i],
                   "attention mask: bias shape {} does not broadcast to the scores {} (dim {}: {} vs {})",
                   shape_str(bs), shape_str(s), i, pb[i], s[i]);
    ATTEND_CHECK(bias.value().dtype() == scores.value().dtype(), "attention mask: bias is {} but the scores are {}",
                 dtype_name(bias.value().dtype()), dtype_name(scores.value().dtype()));
    out = add(out, bias);
  }
  const Tensor drop = drop_tensor(s);
  if (drop.defined()) out = masked_fill(out, drop, -INFINITY);
  return out;
}

}  // namespace attend::nn
