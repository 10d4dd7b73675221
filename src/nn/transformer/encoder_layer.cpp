// TransformerEncoderLayer: torch 1.13's _sa_block and _ff_block, composed post-norm or pre-norm.
#include "attend/nn/transformer/encoder_layer.hpp"

#include "attend/ops/elementwise.hpp"
#include "layer_weights.hpp"

namespace attend::nn {

TransformerActivation parse_transformer_activation(const std::string& name) {
  if (name == "relu") return TransformerActivation::relu;
  if (name == "gelu") return TransformerActivation::gelu;
  throw Error(fmt::format("Transformer: activation must be \"relu\" or \"gelu\", got \"{}\"", name));
}

Var apply_transformer_activation(TransformerActivation activation, const Var& x) {
  return activation == TransformerActivation::gelu ? gelu(x) : relu(x);
}

uint64_t sublayer_seed(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void check_transformer_layer_options(const char* op, const TransformerEncoderLayerOptions& o) {
  ATTEND_CHECK(o.d_model > 0 && o.nhead > 0, "{}: d_model and nhead must be positive (got d_model {}, nhead {})", op,
               o.d_model, o.nhead);
  ATTEND_CHECK(o.d_model % o.nhead == 0,
               "{}: d_model must be divisible by nhead (got d_model {}, nhead {}; d_model % nhead = {})", op,
               o.d_model, o.nhead, o.d_model % o.nhead);
  ATTEND_CHECK(o.dim_feedforward > 0, "{}: dim_feedforward must be positive, got {}", op, o.dim_feedforward);
  ATTEND_CHECK(o.dropout >= 0.0 && o.dropout < 1.0, "{}: dropout must be in [0, 1), got {}", op, o.dropout);
  ATTEND_CHECK(o.layer_norm_eps >= 0.0, "{}: layer_norm_eps must be non-negative, got {}", op, o.layer_norm_eps);
}

namespace {

const TransformerEncoderLayerOptions& checked(const TransformerEncoderLayerOptions& o) {
  check_transformer_layer_options("TransformerEncoderLayer", o);
  return o;
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerEncoderLayerOptions& options)
    : options_(checked(options)) {
  const auto& o = options_;
  self_attn_ = register_module("self_attn", std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{
                                                .embed_dim = o.d_model,
                                                .num_heads = o.nhead,
                                                .dropout = o.dropout,
                                                .batch_first = o.batch_first,
                                                .seed = sublayer_seed(o.seed, 0)}));
  linear1_ = register_module("linear1", std::make_shared<Linear>(LinearOptions{
                                            .in_features = o.d_model,
                                            .out_features = o.dim_feedforward,
                                            .seed = sublayer_seed(o.seed, 1)}));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(DropoutOptions{
                                            .p = o.dropout, .seed = sublayer_seed(o.seed, 2)}));
  linear2_ = register_module("linear2", std::make_shared<Linear>(LinearOptions{
                                            .in_features = o.dim_feedforward,
                                            .out_features = o.d_model,
                                            .seed = sublayer_seed(o.seed, 3)}));
  const LayerNormOptions norm{.normalized_shape = {o.d_model}, .eps = o.layer_norm_eps};
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(norm));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(norm));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(DropoutOptions{
                                              .p = o.dropout, .seed = sublayer_seed(o.seed, 4)}));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(DropoutOptions{
                                              .p = o.dropout, .seed = sublayer_seed(o.seed, 5)}));
}

Var TransformerEncoderLayer::forward(const Var& src, const AttentionMask& mask) {
  return forward(src, mask, TransformerWeightsCall{}).output;
}

TransformerEncoderLayerOutput TransformerEncoderLayer::forward(const Var& src, const AttentionMask& mask,
                                                               const TransformerWeightsCall& call) {
  ATTEND_CHECK(src.defined() && src.dim() == 3, "TransformerEncoderLayer: src must be {}, got shape {}",
               options_.batch_first ? "[B, T, C]" : "[T, B, C]",
               src.defined() ? shape_str(src.shape()) : std::string("undefined"));
  ATTEND_CHECK(src.size(-1) == options_.d_model,
               "TransformerEncoderLayer: src.shape[-1] must equal d_model (expected {}, got {}); src shape {}",
               options_.d_model, src.size(-1), shape_str(src.shape()));
  TransformerEncoderLayerOutput out;
  // Self-attention block: dropout1(self_attn(x, x, x)).
  auto sa_block = [&](const Var& x) {
    auto attended = self_attn_->forward(x, x, x, mask,
                                        detail::weights_call(call.need_weights, call.average_weights, call.capture));
    auto [weights, captured] =
        detail::split_weights(attended.weights, call.need_weights, call.average_weights, call.capture);
    out.weights = weights;
    out.captured = captured;
    return dropout1_->forward(attended.output);
  };
  // Feed-forward block: dropout2(linear2(dropout(act(linear1(x))))).
  auto ff_block = [&](const Var& x) {
    const Var hidden = dropout_->forward(apply_transformer_activation(options_.activation, linear1_->forward(x)));
    return dropout2_->forward(linear2_->forward(hidden));
  };
  Var x = src;
  if (options_.norm_first) {
    x = add(x, sa_block(norm1_->forward(x)));
    x = add(x, ff_block(norm2_->forward(x)));
  } else {
    x = norm1_->forward(add(x, sa_block(x)));
    x = norm2_->forward(add(x, ff_block(x)));
  }
  out.output = x;
  return out;
}

}  // namespace attend::nn
