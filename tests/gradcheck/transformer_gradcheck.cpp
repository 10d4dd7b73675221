// Gradcheck rows for the Transformer modules (compositions of MultiHeadAttention, Linear, LayerNorm and activations):
// post-norm and pre-norm, relu and gelu, key-length and causal masks, at tiny sizes so each row is fast. Every
// parameter is checked too (module_row). Dropout is 0: the rows check the deterministic function.
#include "attend/nn/transformer/decoder.hpp"
#include "attend/nn/transformer/encoder.hpp"
#include "attend/nn/transformer/positional_encoding.hpp"
#include "attend/nn/transformer/transformer.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
using nn::AttentionMask;
using nn::TransformerActivation;

Tensor lengths(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<int64_t>(v, {n});
}

nn::TransformerEncoderLayerOptions layer(bool norm_first, TransformerActivation act, int64_t d = 4, int64_t h = 2) {
  return {.d_model = d, .nhead = h, .dim_feedforward = 6, .dropout = 0.0, .activation = act,
          .norm_first = norm_first, .seed = 11};
}

GradcheckCase encoder_layer_row(bool norm_first, TransformerActivation act, AttentionMask mask, std::string label) {
  return module_row<nn::TransformerEncoderLayer>(
      "nn.TransformerEncoderLayer", {{2, 3, 4}},
      [=] { return std::make_shared<nn::TransformerEncoderLayer>(layer(norm_first, act)); },
      [mask](nn::TransformerEncoderLayer& m, const X& x) { return m.forward(x[0], mask); }, std::move(label));
}

GradcheckCase decoder_layer_row(bool norm_first, TransformerActivation act, AttentionMask self_mask,
                                AttentionMask memory_mask, std::string label) {
  return module_row<nn::TransformerDecoderLayer>(
      "nn.TransformerDecoderLayer", {{2, 3, 4}, {2, 2, 4}},
      [=] { return std::make_shared<nn::TransformerDecoderLayer>(layer(norm_first, act)); },
      [self_mask, memory_mask](nn::TransformerDecoderLayer& m, const X& x) {
        return m.forward(x[0], x[1], self_mask, memory_mask).output;
      },
      std::move(label));
}

ATTEND_GRADCHECK_CASES({
    encoder_layer_row(false, TransformerActivation::relu, AttentionMask::key_lengths(lengths({3, 2})),
                      "post_relu_key_lengths"),
    encoder_layer_row(true, TransformerActivation::gelu, AttentionMask::causal(), "pre_gelu_causal"),
    decoder_layer_row(false, TransformerActivation::gelu, AttentionMask::causal(),
                      AttentionMask::key_lengths(lengths({2, 1})), "post_gelu_causal_key_lengths"),
    decoder_layer_row(true, TransformerActivation::relu, AttentionMask::causal(),
                      AttentionMask::key_lengths(lengths({1, 2})), "pre_relu_causal_key_lengths"),
    module_row<nn::TransformerEncoder>(
        "nn.TransformerEncoder", {{1, 3, 4}},
        [] {
          return std::make_shared<nn::TransformerEncoder>(nn::TransformerEncoderOptions{
              .layer = layer(true, TransformerActivation::gelu), .num_layers = 2, .norm = true});
        },
        [](nn::TransformerEncoder& m, const X& x) { return m.forward(x[0], AttentionMask::causal()); },
        "pre_gelu_two_layers_norm"),
    module_row<nn::TransformerDecoder>(
        "nn.TransformerDecoder", {{1, 2, 4}, {1, 3, 4}},
        [] {
          return std::make_shared<nn::TransformerDecoder>(nn::TransformerDecoderOptions{
              .layer = layer(false, TransformerActivation::relu), .num_layers = 2, .norm = true});
        },
        [](nn::TransformerDecoder& m, const X& x) {
          return m.forward(x[0], x[1], AttentionMask::causal(), AttentionMask::key_lengths(lengths({2}))).output;
        },
        "post_relu_two_layers_norm"),
    module_row<nn::Transformer>(
        "nn.Transformer", {},
        [] {
          return std::make_shared<nn::Transformer>(nn::TransformerOptions{
              .src_vocab = 5, .tgt_vocab = 4, .d_model = 4, .nhead = 2, .num_encoder_layers = 1,
              .num_decoder_layers = 1, .dim_feedforward = 4, .dropout = 0.0, .pad_id = -1, .seed = 5});
        },
        [](nn::Transformer& m, const X&) {
          return m.forward(Tensor::from_vector<int64_t>({1, 4, 2, 3, 0, 0}, {2, 3}), lengths({3, 1}),
                           Tensor::from_vector<int64_t>({0, 3, 1, 2}, {2, 2}))
              .logits;
        },
        "post_norm_sinusoidal"),
    module_row<nn::Transformer>(
        "nn.Transformer", {},
        [] {
          return std::make_shared<nn::Transformer>(nn::TransformerOptions{
              .src_vocab = 4, .tgt_vocab = 4, .d_model = 4, .nhead = 1, .num_encoder_layers = 1,
              .num_decoder_layers = 1, .dim_feedforward = 4, .dropout = 0.0,
              .activation = TransformerActivation::gelu, .norm_first = true,
              .positional = nn::PositionalEncodingKind::learned, .max_len = 3, .tie_embeddings = true,
              .pad_id = 0, .seed = 6});
        },
        [](nn::Transformer& m, const X&) {  // no pad id (0) in the inputs: its row gets no lookup gradient
          return m.forward(Tensor::from_vector<int64_t>({1, 3, 2, 2}, {2, 2}), lengths({2, 1}),
                           Tensor::from_vector<int64_t>({1, 3, 2, 1}, {2, 2}))
              .logits;
        },
        "pre_norm_learned_tied"),
    module_row<nn::SinusoidalPositionalEncoding>(
        "nn.SinusoidalPositionalEncoding", {{2, 3, 4}},
        [] {
          return std::make_shared<nn::SinusoidalPositionalEncoding>(
              nn::SinusoidalPositionalEncodingOptions{.dim = 4});
        },
        [](nn::SinusoidalPositionalEncoding& m, const X& x) { return m.forward(x[0], 2); }, "offset_2"),
    module_row<nn::LearnedPositionalEncoding>(
        "nn.LearnedPositionalEncoding", {{2, 3, 4}},
        [] {
          return std::make_shared<nn::LearnedPositionalEncoding>(
              nn::LearnedPositionalEncodingOptions{.max_len = 5, .dim = 4, .seed = 1});
        },
        [](nn::LearnedPositionalEncoding& m, const X& x) { return m.forward(x[0], 1); }, "offset_1"),
});

}  // namespace
}  // namespace attend::testing
