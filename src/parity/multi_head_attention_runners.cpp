// Parity runner for torch.nn.MultiheadAttention: kwargs onto MultiHeadAttentionOptions, PyTorch's masks onto an
// AttentionMask (torch_masks.hpp), run in eval mode. Where PyTorch gives NaN because every key of a query (in some
// head) is masked, attend defines weights 0; exactly those positions are excluded from the comparison.
#include <algorithm>
#include <cmath>

#include "attend/nn/attention/multi_head_attention.hpp"
#include "attend/ops/shape.hpp"
#include "builtin_runners.hpp"
#include "torch_masks.hpp"

namespace attend::parity {

namespace {

// 1 where PyTorch masks score (b, h, i, j): a true bool entry or a -inf float entry of either mask. A float
// key_padding_mask next to a bool attn_mask is merged with logical_or by PyTorch, so its non-zero entries mask.
Tensor torch_masked_scores(const Tensor& kpm, const Tensor& attn, int64_t B, int64_t H, int64_t Tq, int64_t Tk) {
  Tensor out = Tensor::zeros({B, H, Tq, Tk}, DType::u8);
  uint8_t* o = out.data<uint8_t>();
  auto masked = [](double x, bool is_bool) { return is_bool ? x != 0.0 : x == -INFINITY; };
  const bool attn_bool = attn.defined() && attn.dtype() == DType::u8;
  if (kpm.defined()) {
    const std::vector<double> k = kpm.to(DType::f64).to_vector<double>();
    const bool as_bool = kpm.dtype() == DType::u8 || attn_bool;
    for (int64_t i = 0; i < out.numel(); ++i) o[i] |= masked(k[(i / (H * Tq * Tk)) * Tk + i % Tk], as_bool);
  }
  if (attn.defined()) {
    const std::vector<double> a = attn.to(DType::f64).to_vector<double>();
    const int64_t per = Tq * Tk;  // a 2-D mask repeats for every (b, h)
    for (int64_t i = 0; i < out.numel(); ++i) {
      o[i] |= masked(a[attn.dim() == 2 ? i % per : i], attn_bool);
    }
  }
  return out;
}

// u8 [same shape]: 1 where x != 0.
Tensor nonzero(const Tensor& x) {
  const std::vector<double> v = x.to(DType::f64).to_vector<double>();
  Tensor out = Tensor::empty(x.shape(), DType::u8);
  for (size_t i = 0; i < v.size(); ++i) out.data<uint8_t>()[i] = v[i] != 0.0;
  return out;
}

// Per query row (b, h, i): 1 when all its Tk scores are masked.
std::vector<uint8_t> dead_rows(const Tensor& masked, int64_t Tk) {
  const uint8_t* m = masked.data<uint8_t>();
  std::vector<uint8_t> dead(static_cast<size_t>(masked.numel() / std::max<int64_t>(Tk, 1)), 0);
  for (size_t r = 0; r < dead.size(); ++r) {
    bool all = Tk > 0;
    for (int64_t j = 0; j < Tk && all; ++j) all = m[static_cast<int64_t>(r) * Tk + j] != 0;
    dead[r] = all;
  }
  return dead;
}

ParityOutputs run_multi_head_attention(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  const Arguments& call = c.call();
  kw.ignore("device");
  kw.ignore("dtype");
  const int64_t E = kw.get_int("embed_dim");
  const bool batch_first = kw.get_bool("batch_first", false);
  nn::MultiHeadAttention m({.embed_dim = E,
                            .num_heads = kw.get_int("num_heads"),
                            .dropout = kw.get_double("dropout", 0.0),  // eval mode: no dropout
                            .bias = kw.get_bool("bias", true),
                            .add_bias_kv = kw.get_bool("add_bias_kv", false),
                            .add_zero_attn = kw.get_bool("add_zero_attn", false),
                            .kdim = kw.get_int("kdim", E),
                            .vdim = kw.get_int("vdim", E),
                            .batch_first = batch_first});
  m.eval();
  c.load(m);
  const int64_t H = m.options().num_heads;
  Var query = c.input("query"), key = c.input("key"), value = c.input("value");
  // Unbatched inputs ([T, C], PyTorch ignores batch_first for them) get a batch of one in the layout's batch dim.
  const bool batched = query.dim() == 3;
  const int64_t bdim = batch_first ? 0 : 1;
  if (!batched) {
    query = unsqueeze(query, bdim);
    key = unsqueeze(key, bdim);
    value = unsqueeze(value, bdim);
  }
  const int64_t B = query.size(bdim), Tq = query.size(1 - bdim), Tk = key.size(1 - bdim);
  nn::AttentionMask mask;
  Tensor kpm, attn;
  if (c.has_input("key_padding_mask")) {
    kpm = c.input_tensor("key_padding_mask");
    if (!batched) kpm = kpm.unsqueeze(0);  // [S] -> [1, S]
  }
  if (c.has_input("attn_mask")) attn = c.input_tensor("attn_mask");
  if (kpm.defined()) {
    // PyTorch merges a float key_padding_mask into a bool attn_mask with logical_or: non-zero entries mask.
    const bool as_bool = kpm.dtype() != DType::u8 && attn.defined() && attn.dtype() == DType::u8;
    mask = mask & parity::torch_key_padding_mask(as_bool ? nonzero(kpm) : kpm, c.dtype());
  }
  if (attn.defined()) mask = mask & parity::torch_attn_mask(attn, B, H, c.dtype());

  const bool need_weights = call.get_bool("need_weights", true);
  const bool average = call.get_bool("average_attn_weights", true);
  auto [output, weights] =
      m.forward(query, key, value, mask, {.need_weights = need_weights, .average_weights = average});
  if (!batched) {
    output = squeeze(output, bdim);
    if (weights.defined()) weights = squeeze(weights, 0);
  }

  ParityOutputs outs;
  outs.values["output"] = output;
  if (weights.defined()) outs.values["attn_weights"] = weights;
  // Rows PyTorch leaves NaN: no appended key and every key masked. They poison the whole output row (b, i) through
  // out_proj, the averaged weights of (b, i) and the per-head weights of (b, h, i).
  const bool appended = m.options().add_bias_kv || m.options().add_zero_attn;
  if (appended || (!kpm.defined() && !attn.defined())) return outs;
  const std::vector<uint8_t> dead = dead_rows(torch_masked_scores(kpm, attn, B, H, Tq, Tk), Tk);
  bool any = false;
  for (uint8_t d : dead) any = any || d != 0;
  if (!any) return outs;
  Tensor ex_out = Tensor::zeros(output.shape(), DType::u8);   // [B, Tq, E], [Tq, B, E] or [Tq, E]
  Tensor ex_w = weights.defined() ? Tensor::zeros(weights.shape(), DType::u8) : Tensor();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t i = 0; i < Tq; ++i) {
      bool row = false;
      for (int64_t h = 0; h < H; ++h) {
        const bool d = dead[static_cast<size_t>((b * H + h) * Tq + i)] != 0;
        row = row || d;
        if (d && ex_w.defined() && !average) {
          (batched ? ex_w.select(0, b).select(0, h) : ex_w.select(0, h)).select(0, i).fill_(1.0);
        }
      }
      if (!row) continue;
      Tensor o = batched ? (batch_first ? ex_out.select(0, b).select(0, i) : ex_out.select(0, i).select(0, b))
                         : ex_out.select(0, i);
      o.fill_(1.0);
      if (ex_w.defined() && average) (batched ? ex_w.select(0, b) : ex_w).select(0, i).fill_(1.0);
    }
  }
  outs.excluded["output"] = ex_out;
  if (ex_w.defined()) outs.excluded["attn_weights"] = ex_w;
  return outs;
}

}  // namespace

void register_multi_head_attention_runners(std::map<std::string, ParityRunner>& runners) {
  runners["torch.nn.MultiheadAttention"] = run_multi_head_attention;
}

}  // namespace attend::parity
