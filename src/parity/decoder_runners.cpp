// Parity runner for attend.AttentionDecoder (PyTorch has no such module: the fixtures come from the plain PyTorch
// reference in scripts/golden/decoder.py). The kwargs are the AttentionDecoderOptions field names, with the scorer
// flattened: scorer (kind name), scorer_hidden, scorer_activation, scorer_scale. Inputs: input [B, Tt, E],
// memory [B, Tk, Dk], optional src_lengths (i64 [B]), h0 and c0 [B, H]. Outputs: output (the logits), align (the
// attention weights) and, with coverage, coverage_loss.
#include "attend/nn/rnn/attention_decoder.hpp"
#include "builtin_runners.hpp"

namespace attend::parity {

namespace {

// A name attend does not know is an unsupported configuration, not a failure of the run.
template <class F>
auto parsed(const ParityCase& c, const char* what, F&& parse) {
  try {
    return parse();
  } catch (const ParityError&) {
    throw;
  } catch (const Error& e) {
    throw ParityError(ErrorKind::unsupported, fmt::format("{} with this {}: {}", c.module_name(), what, e.what()));
  }
}

nn::AttentionDecoderOptions decoder_options(const ParityCase& c) {
  const Arguments& kw = c.kwargs();
  nn::AttentionDecoderOptions o;
  o.cell = parsed(c, "cell", [&] { return nn::parse_cell_kind(kw.get_string("cell", "gru")); });
  o.input_size = kw.get_int("input_size");
  o.hidden_size = kw.get_int("hidden_size");
  o.memory_size = kw.get_int("memory_size", 0);
  o.output_size = kw.get_int("output_size", 0);
  o.scorer.kind = parsed(c, "scorer", [&] { return nn::parse_score_kind(kw.get_string("scorer", "additive")); });
  o.scorer.hidden = kw.get_int("scorer_hidden", 0);
  const std::string activation = kw.get_string("scorer_activation", "tanh");
  if (activation != "tanh" && activation != "relu") {
    throw ParityError(ErrorKind::unsupported, fmt::format("{} with scorer_activation \"{}\" is not supported by attend "
                                                          "(tanh or relu)", c.module_name(), activation));
  }
  o.scorer.activation = activation == "tanh" ? nn::ScoreActivation::tanh : nn::ScoreActivation::relu;
  if (kw.has("scorer_scale")) o.scorer.scale = kw.get_double("scorer_scale", 1.0);
  o.placement = parsed(c, "placement", [&] { return nn::parse_placement(kw.get_string("placement", "bahdanau")); });
  o.fusion = parsed(c, "fusion", [&] { return nn::parse_fusion(kw.get_string("fusion", "concat")); });
  o.input_feeding = kw.get_bool("input_feeding", false);
  o.coverage = kw.get_bool("coverage", false);
  return o;
}

ParityOutputs run_attention_decoder(ParityCase& c) {
  nn::AttentionDecoder m(decoder_options(c));
  c.load(m);
  const Var input = c.input("input");
  const Var memory = c.input("memory");
  const Tensor lengths = c.has_input("src_lengths") ? c.input_tensor("src_lengths") : Tensor();
  nn::RecurrentState initial;
  if (c.has_input("h0")) initial.h = c.input("h0");
  if (c.has_input("c0")) initial.c = c.input("c0");
  const nn::AttentionDecoderOutput out = m.forward(input, memory, lengths, initial);
  ParityOutputs result{.values = {{"output", out.logits}, {"align", out.attention}}, .excluded = {}};
  if (out.coverage_loss.defined()) result.values["coverage_loss"] = out.coverage_loss;
  return result;
}

}  // namespace

void register_decoder_runners(std::map<std::string, ParityRunner>& runners) {
  runners["attend.AttentionDecoder"] = run_attention_decoder;
}

}  // namespace attend::parity
