// Parity runners for the recurrent modules: torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU (inputs input, h0, c0, lengths;
// outputs output, h_n, c_n) and torch.nn.RNNCell, LSTMCell, GRUCell (inputs input, hx, cx; outputs h, c).
// `lengths` means PyTorch packed the batch (pack_padded_sequence(enforce_sorted=False)) and padded the result back
// with pad_packed_sequence, whose time extent is max(lengths): attend's output is narrowed to the fixture's extent.
// Unbatched inputs (torch's [T, I] and [I]) are run as a batch of one.
#include "attend/nn/rnn/gru_cell.hpp"
#include "attend/nn/rnn/lstm_cell.hpp"
#include "attend/nn/rnn/rnn.hpp"
#include "attend/nn/rnn/rnn_cell.hpp"
#include "attend/ops/shape.hpp"
#include "builtin_runners.hpp"

namespace attend::parity {

namespace {

[[noreturn]] void unsupported_value(const std::string& module, const std::string& what) {
  throw ParityError(ErrorKind::unsupported, fmt::format("{} with {} is not supported by attend", module, what));
}

nn::Nonlinearity nonlinearity(const ParityCase& c) {
  const std::string name = c.kwargs().get_string("nonlinearity", "tanh");
  if (name == "tanh") return nn::Nonlinearity::tanh;
  if (name == "relu") return nn::Nonlinearity::relu;
  unsupported_value(c.module_name(), fmt::format("nonlinearity \"{}\" (expected tanh or relu)", name));
}

Var optional_input(ParityCase& c, const std::string& name) { return c.has_input(name) ? c.input(name) : Var(); }

ParityOutputs run_sequence(ParityCase& c, nn::CellKind kind) {
  const Arguments& kw = c.kwargs();
  if (kind == nn::CellKind::rnn_tanh && nonlinearity(c) == nn::Nonlinearity::relu) kind = nn::CellKind::rnn_relu;
  const nn::RecurrentOptions options{.mode = kind,
                                     .input_size = kw.get_int("input_size"),
                                     .hidden_size = kw.get_int("hidden_size"),
                                     .num_layers = kw.get_int("num_layers", 1),
                                     .bias = kw.get_bool("bias", true),
                                     .batch_first = kw.get_bool("batch_first", false),
                                     .dropout = kw.get_double("dropout", 0.0),  // inactive: the module runs in eval
                                     .bidirectional = kw.get_bool("bidirectional", false),
                                     .proj_size = kw.get_int("proj_size", 0),  // > 0 throws unless LSTM
                                     .seed = 0};
  nn::RNN m(options);
  c.load(m);
  m.eval();
  Var input = c.input("input");
  const Tensor lengths = c.has_input("lengths") ? c.input_tensor("lengths") : Tensor();
  nn::RecurrentState initial{optional_input(c, "h0"), optional_input(c, "c0")};
  const bool unbatched = input.dim() == 2;  // torch: [T, I] and h0 [L·D, H_out]
  const int64_t time_dim = options.batch_first ? 1 : 0;
  if (unbatched) {
    input = unsqueeze(input, 1 - time_dim);                                   // [T, 1, I] or [1, T, I]
    if (initial.h.defined() && initial.h.dim() == 2) initial.h = unsqueeze(initial.h, 1);  // [L·D, 1, H_out]
    if (initial.c.defined() && initial.c.dim() == 2) initial.c = unsqueeze(initial.c, 1);  // [L·D, 1, H]
  }
  nn::RecurrentOutput out = m.forward(input, lengths, initial);
  Var output = out.output;
  if (lengths.defined() && c.has_tensor("output.output")) {  // pad_packed_sequence stops at max(lengths)
    const Tensor& want = c.tensor("output.output");
    const int64_t t_want = want.dim() == 3 ? want.size(time_dim) : output.size(time_dim);
    if (t_want >= 1 && t_want < output.size(time_dim)) output = narrow(output, time_dim, 0, t_want);
  }
  if (unbatched) {
    output = squeeze(output, 1 - time_dim);  // [T, D·H_out]
    out.h_n = squeeze(out.h_n, 1);          // [L·D, H_out]
    if (out.c_n.defined()) out.c_n = squeeze(out.c_n, 1);
  }
  ParityOutputs result{.values = {{"output", output}, {"h_n", out.h_n}}, .excluded = {}};
  if (out.c_n.defined()) result.values["c_n"] = out.c_n;
  return result;
}

ParityOutputs run_rnn(ParityCase& c) { return run_sequence(c, nn::CellKind::rnn_tanh); }
ParityOutputs run_lstm(ParityCase& c) { return run_sequence(c, nn::CellKind::lstm); }
ParityOutputs run_gru(ParityCase& c) { return run_sequence(c, nn::CellKind::gru); }

ParityOutputs run_rnn_cell(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  nn::RNNCell m({.input_size = kw.get_int("input_size"),
                 .hidden_size = kw.get_int("hidden_size"),
                 .bias = kw.get_bool("bias", true),
                 .nonlinearity = nonlinearity(c)});
  c.load(m);
  const Var input = c.input("input"), hx = optional_input(c, "hx");
  return {.values = {{"h", m.forward(input, hx)}}, .excluded = {}};
}

ParityOutputs run_lstm_cell(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  nn::LSTMCell m({.input_size = kw.get_int("input_size"),
                  .hidden_size = kw.get_int("hidden_size"),
                  .bias = kw.get_bool("bias", true)});
  c.load(m);
  const Var input = c.input("input"), hx = optional_input(c, "hx"), cx = optional_input(c, "cx");
  const nn::RecurrentState s = m.forward(input, {hx, cx});
  return {.values = {{"h", s.h}, {"c", s.c}}, .excluded = {}};
}

ParityOutputs run_gru_cell(ParityCase& c) {
  const Arguments& kw = c.kwargs();
  nn::GRUCell m({.input_size = kw.get_int("input_size"),
                 .hidden_size = kw.get_int("hidden_size"),
                 .bias = kw.get_bool("bias", true)});
  c.load(m);
  const Var input = c.input("input"), hx = optional_input(c, "hx");
  return {.values = {{"h", m.forward(input, hx)}}, .excluded = {}};
}

}  // namespace

void register_rnn_runners(std::map<std::string, ParityRunner>& runners) {
  runners["torch.nn.RNN"] = run_rnn;
  runners["torch.nn.LSTM"] = run_lstm;
  runners["torch.nn.GRU"] = run_gru;
  runners["torch.nn.RNNCell"] = run_rnn_cell;
  runners["torch.nn.LSTMCell"] = run_lstm_cell;
  runners["torch.nn.GRUCell"] = run_gru_cell;
}

}  // namespace attend::parity
