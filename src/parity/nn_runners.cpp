// Parity runners for the basic layers: torch.nn.Linear, torch.nn.LayerNorm, torch.nn.Embedding.
// Each maps PyTorch's kwargs onto the attend options, loads param.* and runs the forward on input.input.
#include "attend/nn/embedding.hpp"
#include "attend/nn/layer_norm.hpp"
#include "attend/nn/linear.hpp"
#include "builtin_runners.hpp"

namespace attend::parity {

namespace {

[[noreturn]] void unsupported_value(const std::string& module, const std::string& what) {
  throw ParityError(ErrorKind::unsupported, fmt::format("{} with {} is not supported by attend", module, what));
}

ParityOutputs run_linear(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  nn::Linear m({.in_features = kw.get_int("in_features"),
                .out_features = kw.get_int("out_features"),
                .bias = kw.get_bool("bias", true)});
  c.load(m);
  return {.values = {{"output", m.forward(c.input("input"))}}, .excluded = {}};
}

ParityOutputs run_layer_norm(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  nn::LayerNorm m({.normalized_shape = kw.get_int_list("normalized_shape"),
                   .eps = kw.get_double("eps", 1e-5),
                   .elementwise_affine = kw.get_bool("elementwise_affine", true),
                   .bias = kw.get_bool("bias", true)});
  c.load(m);
  return {.values = {{"output", m.forward(c.input("input"))}}, .excluded = {}};
}

ParityOutputs run_embedding(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  const int64_t num = kw.get_int("num_embeddings");
  int64_t padding_idx = kw.get_int("padding_idx", -1);
  if (kw.has("padding_idx") && padding_idx < 0) padding_idx += num;  // torch counts a negative index from the end
  if (kw.has("max_norm")) unsupported_value(c.module_name(), "max_norm (renormalising rows)");
  kw.ignore("norm_type");  // only used with max_norm
  if (kw.get_bool("scale_grad_by_freq", false)) unsupported_value(c.module_name(), "scale_grad_by_freq=true");
  kw.get_bool("sparse", false);  // sparse only changes the gradient's storage format, not its values
  nn::Embedding m({.num_embeddings = num, .embedding_dim = kw.get_int("embedding_dim"), .padding_idx = padding_idx});
  c.load(m);
  return {.values = {{"output", m.forward(c.input_tensor("input"))}}, .excluded = {}};
}

}  // namespace

void register_nn_runners(std::map<std::string, ParityRunner>& runners) {
  runners["torch.nn.Linear"] = run_linear;
  runners["torch.nn.LayerNorm"] = run_layer_norm;
  runners["torch.nn.Embedding"] = run_embedding;
}

}  // namespace attend::parity
