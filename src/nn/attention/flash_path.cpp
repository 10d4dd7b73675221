// The choice between the fused and the composite scaled_dot_product_attention, and the mask translation: lengths
// and causal go to the kernel as they are (it skips the tiles they mask), a single bias as a tensor, keep/drop parts
// as one u8 keep mask in the smallest shape that broadcasts to the scores.
#include "flash_path.hpp"

#include <cstdlib>
#include <string_view>

#include "attend/core/error.hpp"
#include "attend/ops/flash_attention.hpp"

namespace attend::nn::detail {

namespace {

// Why the fused op cannot run this call ("" when it can).
const char* unsupported(const Var& q, const AttentionMask& mask) {
  if (mask.appended_keys() > 0) return "appended keys (add_bias_kv / add_zero_attn)";
  if (mask.bias_parts().size() > 1) return "more than one bias";
  const bool grads = grad_enabled();
  if (!mask.bias_parts().empty() && grads && mask.bias_parts()[0].requires_grad())
    return "a bias that needs a gradient";
  if (!mask.bias_parts().empty() && mask.bias_parts()[0].dtype() != q.dtype()) return "a bias of another dtype";
  return "";
}

// The mask's own checks and messages (AttentionMask::apply's), before the kernel's.
void check_mask(const AttentionMask& mask, const Shape& scores) {
  if (mask.lengths()) {
    const Tensor& len = *mask.lengths();
    ATTEND_CHECK(len.numel() == scores[0],
                 "attention mask: key_lengths has {} entries but the scores have batch {}; scores shape {}",
                 len.numel(), scores[0], shape_str(scores));
    for (int64_t b = 0; b < scores[0]; ++b) {
      const int64_t l = len.data<int64_t>()[b];
      ATTEND_CHECK(l >= 0 && l <= scores[3], "attention mask: key_lengths[{}] = {} is outside [0, {}] (Tk)", b, l,
                   scores[3]);
    }
  }
  for (const Var& bias : mask.bias_parts()) {
    const Shape& bs = bias.shape();
    ATTEND_CHECK(bs.size() <= 4, "attention mask: bias shape {} has more dims than the scores {}", shape_str(bs),
                 shape_str(scores));
    for (size_t i = 0; i < bs.size(); ++i) {
      const size_t d = 4 - bs.size() + i;
      ATTEND_CHECK(bs[i] == 1 || bs[i] == scores[d],
                   "attention mask: bias shape {} does not broadcast to the scores {} (dim {}: {} vs {})",
                   shape_str(bs), shape_str(scores), d, bs[i], scores[d]);
    }
  }
}

FlashAttentionMask translate(const AttentionMask& mask, const Shape& scores) {
  check_mask(mask, scores);
  FlashAttentionMask m;
  if (mask.lengths()) m.key_lengths = *mask.lengths();
  m.causal_offset = mask.causal_offset();
  if (!mask.bias_parts().empty()) m.bias = mask.bias_parts()[0].value();
  if (mask.has_keep_parts()) {  // every dropping part in one small tensor (lengths and causal again: harmless)
    const Tensor drop = mask.drop_tensor(scores).contiguous();
    Tensor keep = Tensor::empty(drop.shape(), DType::u8);
    const uint8_t* d = drop.data<uint8_t>();
    uint8_t* kp = keep.data<uint8_t>();
    for (int64_t i = 0; i < drop.numel(); ++i) kp[i] = static_cast<uint8_t>(d[i] == 0);
    m.keep = keep;
  }
  return m;
}

}  // namespace

std::optional<AttentionOutput> flash_path(const Var& q, const Var& k, const Var& v, const AttentionMask& mask,
                                          const ScaledDotProductOptions& options, double scale) {
  const bool bf16 = options.precision == AttentionPrecision::bf16;
  ATTEND_CHECK(!bf16 || options.implementation != AttentionImpl::composite,
               "scaled_dot_product_attention: bf16 products run only in the fused implementation, not the composite; "
               "q shape {}",
               shape_str(q.shape()));
  if (options.implementation == AttentionImpl::composite) return std::nullopt;
  const char* why = unsupported(q, mask);
  if (options.implementation == AttentionImpl::fused || bf16) {
    ATTEND_CHECK(*why == '\0', "scaled_dot_product_attention: the fused implementation does not support {}; q shape {}",
                 why, shape_str(q.shape()));
  } else {
    const char* env = std::getenv("ATTEND_ATTENTION_IMPL");
    if (*why != '\0' || q.dtype() != DType::f32 || (env != nullptr && std::string_view(env) == "composite"))
      return std::nullopt;
  }
  const Shape scores = {q.size(0), q.size(1), q.size(2), k.size(2)};  // [B, H, Tq, Tk]
  const FlashAttentionMask m = translate(mask, scores);
  FlashDropout drop;  // the words the composite's dropout would draw for its [B, H, Tq, Tk] weights
  if (options.training && options.dropout > 0.0) {
    ATTEND_CHECK(options.rng != nullptr, "scaled_dot_product_attention: dropout {} while training needs an Rng",
                 options.dropout);
    const int64_t n = scores[0] * scores[1] * scores[2] * scores[3];
    drop = {.p = options.dropout, .seed = options.rng->seed(), .stream = options.rng->stream(),
            .first = options.rng->advance(static_cast<uint64_t>(n))};
  }
  FlashAttentionResult r = flash_attention(q, k, v, m, scale, drop, options.precision);
  Var weights;  // [B, h, Tq, Tk]: heads [hb, he)
  const int64_t hb = options.weights_head_begin;
  const int64_t he = options.weights_head_end < 0 ? q.size(1) : options.weights_head_end;
  if (options.need_weights && grad_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad())) {
    // weights a gradient may flow through: the composite's softmax (its context is discarded; ours is the same)
    ScaledDotProductOptions composite = options;
    composite.implementation = AttentionImpl::composite;
    composite.dropout = 0.0;  // the weights are those before dropout; the Rng has moved once already
    weights = scaled_dot_product_attention(q, k, v, mask, composite).weights;
  } else if (options.need_weights) {
    // recomputed from the saved lse, no gradient
    Tensor w = flash_attention_weights(q, k, m, scale, r.lse, hb, he, options.precision);
    weights = Var(hb == 0 && he == q.size(1) ? w : w.narrow(1, hb, he - hb).contiguous());  // [B, h, Tq, Tk]
  }
  return AttentionOutput{r.context, weights};
}

}  // namespace attend::nn::detail
