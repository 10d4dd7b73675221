// MultiHeadAttention: projections, head split, rotary, key/value cache, appended keys, then
// scaled_dot_product_attention and the output projection, as torch.nn.functional.multi_head_attention_forward.
#include "attend/nn/attention/multi_head_attention.hpp"

#include <cmath>

#include "attend/core/error.hpp"
#include "attend/nn/attention/rotary.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/reduction.hpp"
#include "attend/ops/shape.hpp"

namespace attend::nn {

namespace {

constexpr const char* kOp = "MultiHeadAttention";

MultiHeadAttentionOptions resolved(MultiHeadAttentionOptions o) {
  ATTEND_CHECK(o.embed_dim > 0, "{}: embed_dim must be > 0, got {}", kOp, o.embed_dim);
  ATTEND_CHECK(o.num_heads > 0 && o.embed_dim % o.num_heads == 0,
               "{}: num_heads ({}) must be positive and divide embed_dim ({})", kOp, o.num_heads, o.embed_dim);
  if (o.num_kv_heads == 0) o.num_kv_heads = o.num_heads;
  ATTEND_CHECK(o.num_kv_heads > 0 && o.num_heads % o.num_kv_heads == 0,
               "{}: num_kv_heads ({}) must be positive and divide num_heads ({})", kOp, o.num_kv_heads, o.num_heads);
  ATTEND_CHECK(o.kdim >= 0 && o.vdim >= 0, "{}: kdim and vdim must be >= 0 (0: embed_dim), got {} and {}", kOp, o.kdim,
               o.vdim);
  if (o.kdim == 0) o.kdim = o.embed_dim;
  if (o.vdim == 0) o.vdim = o.embed_dim;
  ATTEND_CHECK(o.dropout >= 0.0 && o.dropout < 1.0, "{}: dropout must be in [0, 1), got {}", kOp, o.dropout);
  const int64_t head_dim = o.embed_dim / o.num_heads;
  ATTEND_CHECK(!o.rotary || head_dim % 2 == 0,
               "{}: rotary positions need an even head width, got embed_dim {} / num_heads {} = {}", kOp, o.embed_dim,
               o.num_heads, head_dim);
  ATTEND_CHECK(!o.rotary || o.rotary_base > 0.0, "{}: rotary_base must be > 0, got {}", kOp, o.rotary_base);
  return o;
}

// torch.nn.init.xavier_uniform_ / xavier_normal_: fan_in = shape[1]·receptive, fan_out = shape[0]·receptive.
double xavier_denominator(const Shape& s) {
  int64_t receptive = 1;
  for (size_t i = 2; i < s.size(); ++i) receptive *= s[i];
  return static_cast<double>(s[1] * receptive + s[0] * receptive);
}

Tensor xavier_uniform(const Shape& s, Rng rng) {
  const double bound = std::sqrt(6.0 / xavier_denominator(s));
  return Tensor::uniform(s, rng, -bound, bound);
}

Tensor xavier_normal(const Shape& s, Rng rng) {
  return Tensor::randn(s, rng, DType::f32, 0.0, std::sqrt(2.0 / xavier_denominator(s)));
}

// x [B, T, n·D] -> [B, n, T, D]
Var split_heads(const Var& x, int64_t n, int64_t D) {
  const Var y = reshape(x, {x.size(0), x.size(1), n, D});  // [B, T, n, D]
  return transpose(y, 1, 2);                                 // [B, n, T, D]
}

std::string shape_of(const Var& x) { return x.defined() ? shape_str(x.shape()) : std::string("undefined"); }

}  // namespace

MultiHeadAttention::MultiHeadAttention(const MultiHeadAttentionOptions& options)
    : options_(resolved(options)), rng_(options_.seed, /*stream=*/5) {
  const MultiHeadAttentionOptions& o = options_;
  const int64_t E = o.embed_dim, KV = o.num_kv_heads * head_dim();
  const bool packed = o.kdim == E && o.vdim == E && o.num_kv_heads == o.num_heads;
  // Registration order follows PyTorch's state_dict: projection weights, in_proj_bias, bias_k, bias_v, out_proj.
  if (packed) {
    in_proj_weight_ = register_parameter("in_proj_weight", xavier_uniform({3 * E, E}, Rng(o.seed, 0)));
  } else {
    q_proj_weight_ = register_parameter("q_proj_weight", xavier_uniform({E, E}, Rng(o.seed, 0)));
    k_proj_weight_ = register_parameter("k_proj_weight", xavier_uniform({KV, o.kdim}, Rng(o.seed, 1)));
    v_proj_weight_ = register_parameter("v_proj_weight", xavier_uniform({KV, o.vdim}, Rng(o.seed, 2)));
  }
  in_proj_bias_ = register_parameter("in_proj_bias", o.bias ? Tensor::zeros({E + 2 * KV}) : Tensor());
  if (o.add_bias_kv) {
    bias_k_ = register_parameter("bias_k", xavier_normal({1, 1, KV}, Rng(o.seed, 3)));
    bias_v_ = register_parameter("bias_v", xavier_normal({1, 1, KV}, Rng(o.seed, 4)));
  }
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(LinearOptions{
                                              .in_features = E, .out_features = E, .bias = o.bias,
                                              .seed = o.seed ^ 0x9E3779B97F4A7C15ULL}));
  if (o.bias) out_proj_->bias().value().fill_(0.0);
}

MultiHeadAttentionOutput MultiHeadAttention::forward(const Var& query, const Var& key, const Var& value,
                                                     const AttentionMask& mask, const MultiHeadAttentionCall& call) {
  const MultiHeadAttentionOptions& o = options_;
  const int64_t E = o.embed_dim, H = o.num_heads, Hkv = o.num_kv_heads, D = head_dim(), KV = Hkv * D;
  const char* layout = o.batch_first ? "[B, T, C]" : "[T, B, C]";
  const int64_t bdim = o.batch_first ? 0 : 1, tdim = 1 - bdim;
  ATTEND_CHECK(query.defined() && query.dim() == 3 && query.size(2) == E,
               "{}: query must be {} with C = embed_dim ({}); query shape {}", kOp, layout, E, shape_of(query));
  KeyValueCache* cache = call.cache;
  ATTEND_CHECK(!(call.static_kv && cache != nullptr && o.rotary),
               "{}: rotary positions are not defined for static_kv (cross-attention keys share no positions with the "
               "queries); query shape {}", kOp, shape_of(query));
  const bool reuse = call.static_kv && cache != nullptr && cache->length() > 0;
  const int64_t B = query.size(bdim), Tq = query.size(tdim);
  if (!reuse) {
    ATTEND_CHECK(key.defined() && key.dim() == 3 && key.size(2) == o.kdim,
                 "{}: key must be {} with C = kdim ({}); key shape {}, query shape {}", kOp, layout, o.kdim,
                 shape_of(key), shape_of(query));
    ATTEND_CHECK(value.defined() && value.dim() == 3 && value.size(2) == o.vdim,
                 "{}: value must be {} with C = vdim ({}); value shape {}, query shape {}", kOp, layout, o.vdim,
                 shape_of(value), shape_of(query));
    ATTEND_CHECK(key.size(0) == value.size(0) && key.size(1) == value.size(1),
                 "{}: key and value must have the same batch and length; key shape {}, value shape {}", kOp,
                 shape_of(key), shape_of(value));
    ATTEND_CHECK(key.size(bdim) == B, "{}: key must have the query's batch {} (dim {}); key shape {}, query shape {}",
                 kOp, B, bdim, shape_of(key), shape_of(query));
  }
  const Var x_q = o.batch_first ? query : transpose(query, 0, 1);  // [B, Tq, E]
  const bool packed = packed_projection();
  const int64_t offset = cache != nullptr && !call.static_kv ? cache->length() : 0;
  // Self-attention (one input for query, key and value) projects all three in one GEMM with the packed weight, as
  // PyTorch does: x [B, Tq, E] @ in_proj_weightᵀ -> [B, Tq, 3E], whose column blocks are q, k and v.
  const bool fused = packed && !reuse && query.id() == key.id() && key.id() == value.id();
  Var q, k, v;  // q [B, H, Tq, D]; k, v [B, Hkv, Tk, D]
  if (fused) {
    const Var qkv = linear(x_q, in_proj_weight_, o.bias ? in_proj_bias_ : Var());  // [B, Tq, 3E]
    q = split_heads(narrow(qkv, 2, 0, E), H, D);
    k = split_heads(narrow(qkv, 2, E, E), H, D);
    v = split_heads(narrow(qkv, 2, 2 * E, E), H, D);
  } else {
    const Var w_q = packed ? narrow(in_proj_weight_, 0, 0, E) : q_proj_weight_;  // [E, E]
    const Var b_q = o.bias ? narrow(in_proj_bias_, 0, 0, E) : Var();               // [E]
    q = split_heads(linear(x_q, w_q, b_q), H, D);
  }
  if (o.rotary) q = apply_rotary(q, offset, o.rotary_base);

  if (reuse) {
    k = cache->keys;
    v = cache->values;
  } else {
    if (!fused) {
      const Var x_k = o.batch_first ? key : transpose(key, 0, 1);                      // [B, Tk, kdim]
      const Var x_v = o.batch_first ? value : transpose(value, 0, 1);                  // [B, Tk, vdim]
      const Var w_k = packed ? narrow(in_proj_weight_, 0, E, E) : k_proj_weight_;      // [KV, kdim]
      const Var w_v = packed ? narrow(in_proj_weight_, 0, 2 * E, E) : v_proj_weight_;  // [KV, vdim]
      const Var b_k = o.bias ? narrow(in_proj_bias_, 0, E, KV) : Var();                // [KV]
      const Var b_v = o.bias ? narrow(in_proj_bias_, 0, E + KV, KV) : Var();           // [KV]
      k = split_heads(linear(x_k, w_k, b_k), Hkv, D);                                  // [B, Hkv, Tk, D]
      v = split_heads(linear(x_v, w_v, b_v), Hkv, D);                                  // [B, Hkv, Tk, D]
    }
    if (o.rotary) k = apply_rotary(k, offset, o.rotary_base);
    if (cache != nullptr) {
      if (!call.static_kv && cache->length() > 0) {
        const Shape& cs = cache->keys.shape();
        ATTEND_CHECK(cs.size() == 4 && cs[0] == B && cs[1] == Hkv && cs[3] == D &&
                         cache->values.defined() && cache->values.shape() == cs,
                     "{}: cache keys/values must be [B={}, Hkv={}, T, D={}]; cache keys shape {}, values shape {}, "
                     "query shape {}", kOp, B, Hkv, D, shape_str(cs), shape_of(cache->values), shape_of(query));
        k = concat({cache->keys, k}, 2);    // [B, Hkv, P + Tk, D]
        v = concat({cache->values, v}, 2);  // [B, Hkv, P + Tk, D]
      }
      cache->keys = k;
      cache->values = v;
    }
  }
  ATTEND_CHECK(k.size(0) == B,
               "{}: the cached keys have batch {} but the query has {}; cache keys shape {}, query shape {}", kOp, k.size(0), B, shape_of(k), shape_of(query));

  // Keys every query keeps, after the real ones: bias_k/bias_v, then a zero key/value (PyTorch's order).
  int64_t appended = 0;
  if (o.add_bias_kv) {
    const Var bk = expand(reshape(bias_k_, {1, Hkv, 1, D}), {B, Hkv, 1, D});  // [B, Hkv, 1, D]
    const Var bv = expand(reshape(bias_v_, {1, Hkv, 1, D}), {B, Hkv, 1, D});  // [B, Hkv, 1, D]
    k = concat({k, bk}, 2);                                                   // [B, Hkv, Tk + 1, D]
    v = concat({v, bv}, 2);                                                   // [B, Hkv, Tk + 1, D]
    ++appended;
  }
  if (o.add_zero_attn) {
    const Var zero(Tensor::zeros({B, Hkv, 1, D}, k.dtype()));
    k = concat({k, zero}, 2);  // [B, Hkv, Tk', D]
    v = concat({v, zero}, 2);  // [B, Hkv, Tk', D]
    ++appended;
  }
  const AttentionMask m = appended > 0 ? mask.with_kept_keys_appended(appended) : mask;

  if (o.precision == AttentionPrecision::bf16) {  // before the call, whose errors are reported as the mask's
    ATTEND_CHECK(appended == 0, "{}: bf16 attention runs the fused op, which takes no appended keys (add_bias_kv, "
                 "add_zero_attn)", kOp);
  }
  const HeadRange heads = call.heads.empty() ? HeadRange{0, H} : call.heads;
  ATTEND_CHECK(heads.begin >= 0 && heads.end <= H, "{}: weights of heads [{}, {}) asked for, but there are {} heads "
               "[0, {}); query shape {}", kOp, heads.begin, heads.end, H, H, shape_of(query));
  AttentionOutput attn;
  try {
    attn = scaled_dot_product_attention(q, k, v, m,
                                        {.scale = std::nullopt,
                                         .dropout = o.dropout,
                                         .training = is_training(), .rng = &rng_,
                                         .need_weights = call.need_weights,
                                         .weights_head_begin = heads.begin,
                                         .weights_head_end = heads.end,
                                         .precision = o.precision});
  } catch (const Error& e) {
    throw Error(fmt::format("{}: the mask does not fit the scores [B, H, Tq, Tk] = [{}, {}, {}, {}] ({} appended "
                            "keys); query shape {}, key shape {}: {}",
                            kOp, B, H, Tq, k.size(2), appended, shape_of(query), shape_of(key), e.what()));
  }
  const Var ctx = reshape(transpose(attn.context, 1, 2), {B, Tq, E});  // [B, Tq, E]
  Var out = out_proj_->forward(ctx);                                   // [B, Tq, E]
  if (!o.batch_first) out = transpose(out, 0, 1);                      // [Tq, B, E]
  Var weights;
  if (call.need_weights) weights = call.average_weights ? mean(attn.weights, {1}) : attn.weights;  // [B, (h,) Tq, Tk]
  return {out, weights};
}

}  // namespace attend::nn
