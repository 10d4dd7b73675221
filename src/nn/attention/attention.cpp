// attention() and scaled_dot_product_attention(): compositions of score, mask, softmax, dropout and matmul.
#include "attend/nn/attention/attention.hpp"

#include <cmath>

#include "attend/core/error.hpp"
#include "attend/ops/dropout.hpp"
#include "attend/ops/elementwise.hpp"
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/shape.hpp"
#include "attend/ops/softmax.hpp"
#include "flash_path.hpp"

namespace attend::nn {

namespace {

void check_rank(const Var& x, int64_t rank, const char* op, const char* arg, const char* layout) {
  ATTEND_CHECK(x.defined(), "{}: {} is undefined", op, arg);
  ATTEND_CHECK(x.value().dim() == rank, "{}: {} must be {}, got shape {}", op, arg, layout, shape_str(x.value().shape()));
}

}  // namespace

AttentionOutput attention(const Var& query, const Var& keys, const Var& values, const AttentionMask& mask,
                          const Scorer& scorer) {
  check_rank(keys, 3, "attention", "keys", "[B, Tk, Dk]");
  return attention(query, scorer.prepare(keys), values, mask, scorer);
}

AttentionOutput attention(const Var& query, const ScorerKeys& keys, const Var& values, const AttentionMask& mask,
                          const Scorer& scorer) {
  check_rank(query, 3, "attention", "query", "[B, Tq, Dq]");
  check_rank(keys.keys, 3, "attention", "keys", "[B, Tk, Dk]");
  check_rank(values, 3, "attention", "values", "[B, Tk, Dv]");
  const Shape& ks = keys.keys.value().shape();
  const Shape& vs = values.value().shape();
  ATTEND_CHECK(vs[0] == ks[0] && vs[1] == ks[1],
               "attention: values must have the keys' batch and length (expected [{}, {}, Dv]); values shape {}, "
               "keys shape {}",
               ks[0], ks[1], shape_str(vs), shape_str(ks));
  const Var scores = scorer.score_prepared(query, keys);  // [B, Tq, Tk]
  // Key lengths alone (the usual padded source): the mask and the softmax in one op, no mask tensor built.
  const bool lengths_only = mask.lengths() && !mask.causal_offset() && !mask.has_keep_parts() &&
                            mask.bias_parts().empty() && mask.appended_keys() == 0;
  if (lengths_only) mask.check_lengths(scores.value().shape());
  const Var weights = lengths_only ? length_softmax(scores, *mask.lengths())  // [B, Tq, Tk]
                                   : softmax(mask.apply(scores), -1);
  return {matmul(weights, values), weights};  // [B, Tq, Dv]
}

AttentionOutput scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const AttentionMask& mask,
                                             const ScaledDotProductOptions& options) {
  const char* op = "scaled_dot_product_attention";
  check_rank(q, 4, op, "q", "[B, H, Tq, D]");
  check_rank(k, 4, op, "k", "[B, Hkv, Tk, D]");
  check_rank(v, 4, op, "v", "[B, Hkv, Tk, Dv]");
  const Shape& qs = q.value().shape();
  const Shape& ks = k.value().shape();
  const Shape& vs = v.value().shape();
  const int64_t B = qs[0], H = qs[1], Tq = qs[2], D = qs[3], Hkv = ks[1], Tk = ks[2];
  ATTEND_CHECK(ks[0] == B && ks[3] == D, "{}: k must be [B={}, Hkv, Tk, D={}]; k shape {}, q shape {}", op, B, D,
               shape_str(ks), shape_str(qs));
  ATTEND_CHECK(vs[0] == B && vs[1] == Hkv && vs[2] == Tk,
               "{}: v must be [B={}, Hkv={}, Tk={}, Dv]; v shape {}, k shape {}", op, B, Hkv, Tk, shape_str(vs),
               shape_str(ks));
  ATTEND_CHECK(Hkv >= 1 && H % Hkv == 0, "{}: the key/value heads ({}) must divide the query heads ({}); q shape {}, k "
               "shape {}", op, Hkv, H, shape_str(qs), shape_str(ks));
  ATTEND_CHECK(options.dropout >= 0.0 && options.dropout < 1.0, "{}: dropout must be in [0, 1), got {}", op,
               options.dropout);
  const int64_t hb = options.weights_head_begin, he = options.weights_head_end < 0 ? H : options.weights_head_end;
  ATTEND_CHECK(!options.need_weights || (0 <= hb && hb < he && he <= H),
               "{}: the weights' heads [{}, {}) must be a non-empty range inside [0, H = {}); q shape {}", op, hb, he,
               H, shape_str(qs));
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(D)));
  if (auto fused = detail::flash_path(q, k, v, mask, options, scale)) return *fused;  // the fused twin (f32)
  const int64_t G = H / Hkv;
  // Query heads of one group share a key head: fold the group into the query length, so one batched GEMM per
  // key head serves them all without copying keys.
  const Var qg = reshape(q, {B, Hkv, G * Tq, D});                                  // [B, Hkv, G·Tq, D]
  Var scores = matmul(qg, transpose(k, 2, 3));                                     // [B, Hkv, G·Tq, Tk]
  scores = reshape(mul(scores, scale), {B, H, Tq, Tk});                            // [B, H, Tq, Tk]
  const Var weights = softmax(mask.apply(scores), -1);                             // [B, H, Tq, Tk]
  Var w = weights;
  if (options.training && options.dropout > 0.0) {
    ATTEND_CHECK(options.rng != nullptr, "{}: dropout {} while training needs an Rng", op, options.dropout);
    w = dropout(w, options.dropout, true, *options.rng);
  }
  const Var ctx = matmul(reshape(w, {B, Hkv, G * Tq, Tk}), v);                     // [B, Hkv, G·Tq, Dv]
  Var kept;
  if (options.need_weights) kept = hb == 0 && he == H ? weights : narrow(weights, 1, hb, he - hb);  // [B, h, Tq, Tk]
  return {reshape(ctx, {B, H, Tq, vs[3]}), kept};                                                  // [B, H, Tq, Dv]
}

}  // namespace attend::nn
