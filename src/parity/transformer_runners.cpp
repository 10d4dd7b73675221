// Parity runners for torch.nn.TransformerEncoderLayer and TransformerDecoderLayer (PyTorch 1.13 semantics), and for
// attend.Transformer, the seq2seq model (its PyTorch reference is built on torch.nn.Transformer in
// scripts/golden/transformer.py; kwargs are TransformerOptions' names, inputs src, src_lengths, tgt_in, outputs
// logits and attention).
// The kwargs map one to one onto TransformerEncoderLayerOptions; the module runs in eval mode, so dropout is the
// identity whatever its value. PyTorch's masks (bool = masked out, or float added to the scores) become typed
// AttentionMasks through torch_masks.hpp. Where PyTorch gives NaN (a query whose keys are all masked: attend gives a
// finite output there by design) the output is excluded from comparison.
#include <cmath>

#include "attend/nn/transformer/decoder_layer.hpp"
#include "attend/nn/transformer/encoder_layer.hpp"
#include "attend/nn/transformer/transformer.hpp"
#include "builtin_runners.hpp"
#include "torch_masks.hpp"

namespace attend::parity {

namespace {

nn::TransformerEncoderLayerOptions layer_options(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  kw.ignore("device");
  kw.ignore("dtype");
  const std::string activation = kw.get_string("activation", "relu");
  if (activation != "relu" && activation != "gelu") {
    throw ParityError(ErrorKind::unsupported,
                      fmt::format("{} with activation \"{}\" is not supported by attend (relu or gelu)",
                                  c.module_name(), activation));
  }
  return {.d_model = kw.get_int("d_model"),
          .nhead = kw.get_int("nhead"),
          .dim_feedforward = kw.get_int("dim_feedforward", 2048),
          .dropout = kw.get_double("dropout", 0.1),
          .activation = nn::parse_transformer_activation(activation),
          .layer_norm_eps = kw.get_double("layer_norm_eps", 1e-5),
          .batch_first = kw.get_bool("batch_first", false),
          .norm_first = kw.get_bool("norm_first", false)};
}

// attn_mask and key_padding_mask of one attention, combined as PyTorch combines them.
nn::AttentionMask torch_mask(ParityCase& c, const std::string& attn_mask, const std::string& key_padding_mask,
                             int64_t batch, int64_t heads) {
  nn::AttentionMask mask;
  if (c.has_input(attn_mask)) mask = mask & torch_attn_mask(c.input_tensor(attn_mask), batch, heads, c.dtype());
  if (c.has_input(key_padding_mask)) mask = mask & torch_key_padding_mask(c.input_tensor(key_padding_mask), c.dtype());
  return mask;
}

// 1 where PyTorch's output is NaN (fully masked query rows), so those elements are not compared.
ParityOutputs with_nan_excluded(ParityCase& c, const Var& output) {
  ParityOutputs out{.values = {{"output", output}}, .excluded = {}};
  const Tensor& want = c.tensor("output.output");
  const std::vector<double> w = want.to_vector<double>();
  std::vector<uint8_t> nan(w.size());
  bool any = false;
  for (size_t i = 0; i < w.size(); ++i) any |= (nan[i] = std::isnan(w[i]) ? 1 : 0) != 0;
  if (any) out.excluded["output"] = Tensor::from_vector<uint8_t>(nan, want.shape());
  return out;
}

ParityOutputs run_encoder_layer(ParityCase& c) {
  const nn::TransformerEncoderLayerOptions options = layer_options(c);
  nn::TransformerEncoderLayer m(options);
  c.load(m);
  m.eval();
  const Var src = c.input("src");
  const int64_t batch = src.dim() == 3 ? src.size(options.batch_first ? 0 : 1) : 0;
  const nn::AttentionMask mask = torch_mask(c, "src_mask", "src_key_padding_mask", batch, options.nhead);
  return with_nan_excluded(c, m.forward(src, mask));
}

ParityOutputs run_decoder_layer(ParityCase& c) {
  const nn::TransformerDecoderLayerOptions options = layer_options(c);
  nn::TransformerDecoderLayer m(options);
  c.load(m);
  m.eval();
  const Var tgt = c.input("tgt");
  const Var memory = c.input("memory");
  const int64_t batch = tgt.dim() == 3 ? tgt.size(options.batch_first ? 0 : 1) : 0;
  const nn::AttentionMask tgt_mask = torch_mask(c, "tgt_mask", "tgt_key_padding_mask", batch, options.nhead);
  const nn::AttentionMask memory_mask = torch_mask(c, "memory_mask", "memory_key_padding_mask", batch, options.nhead);
  return with_nan_excluded(c, m.forward(tgt, memory, tgt_mask, memory_mask).output);
}

ParityOutputs run_transformer(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  const std::string positional = kw.get_string("positional", "sinusoidal");
  if (positional != "sinusoidal" && positional != "learned") {
    throw ParityError(ErrorKind::unsupported, fmt::format("attend.Transformer with positional \"{}\"", positional));
  }
  nn::Transformer m({.src_vocab = kw.get_int("src_vocab"),
                     .tgt_vocab = kw.get_int("tgt_vocab"),
                     .d_model = kw.get_int("d_model"),
                     .nhead = kw.get_int("nhead"),
                     .num_encoder_layers = kw.get_int("num_encoder_layers"),
                     .num_decoder_layers = kw.get_int("num_decoder_layers"),
                     .dim_feedforward = kw.get_int("dim_feedforward"),
                     .dropout = kw.get_double("dropout", 0.0),
                     .activation = nn::parse_transformer_activation(kw.get_string("activation", "relu")),
                     .layer_norm_eps = kw.get_double("layer_norm_eps", 1e-5),
                     .norm_first = kw.get_bool("norm_first", false),
                     .positional = positional == "learned" ? nn::PositionalEncodingKind::learned
                                                           : nn::PositionalEncodingKind::sinusoidal,
                     .max_len = kw.get_int("max_len", 1024),
                     .tie_embeddings = kw.get_bool("tie_embeddings", false),
                     .pad_id = kw.get_int("pad_id", 0)});
  c.load(m);
  m.eval();
  auto out = m.forward(c.input_tensor("src"), c.input_tensor("src_lengths"), c.input_tensor("tgt_in"));
  return {.values = {{"logits", out.logits}, {"attention", out.attention}}, .excluded = {}};
}

}  // namespace

void register_transformer_runners(std::map<std::string, ParityRunner>& runners) {
  runners["torch.nn.TransformerEncoderLayer"] = run_encoder_layer;
  runners["torch.nn.TransformerDecoderLayer"] = run_decoder_layer;
  runners["attend.Transformer"] = run_transformer;
}

}  // namespace attend::parity
