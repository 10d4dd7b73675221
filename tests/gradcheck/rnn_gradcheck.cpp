// Gradcheck rows for the recurrent modules (compositions: the rows check backpropagation through time end to end,
// into the inputs, the initial states, the attention scores and every parameter). Tiny: B 2, T 3, I 3, H 2-3.
#include "attend/nn/rnn/augru_cell.hpp"
#include "attend/nn/rnn/gru_cell.hpp"
#include "attend/nn/rnn/lstm_cell.hpp"
#include "attend/nn/rnn/rnn.hpp"
#include "attend/nn/rnn/rnn_cell.hpp"
#include "attend/ops/shape.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
using nn::CellKind;

// Every output of a sequence module flattened into one vector, so each gets its own random cotangent.
Var flat(const nn::RecurrentOutput& out) {
  std::vector<Var> parts = {reshape(out.output, {-1}), reshape(out.h_n, {-1})};
  if (out.c_n.defined()) parts.push_back(reshape(out.c_n, {-1}));
  return concat(parts, 0);
}

Tensor lengths_3_1() { return Tensor::from_vector<int64_t>({3, 1}, {2}); }

// An nn.RNN row: input [B, T, I] = [2, 3, 3] (batch first), lengths {3, 1} when `with_lengths`, and initial states
// as further inputs when `h0` (h0 [L·D, B, H_out], and c0 for LSTM).
GradcheckCase rnn_row(const std::string& label, nn::RecurrentOptions o, bool with_lengths, bool h0 = false) {
  o.input_size = 3;
  const int64_t out = o.proj_size > 0 ? o.proj_size : o.hidden_size;
  const int64_t states = o.num_layers * (o.bidirectional ? 2 : 1);
  std::vector<Shape> shapes = {{2, 3, 3}};
  if (h0) shapes.push_back({states, 2, out});
  if (h0 && o.mode == CellKind::lstm) shapes.push_back({states, 2, o.hidden_size});
  return module_row<nn::RNN>(
      "nn.RNN", shapes, [o] { return std::make_shared<nn::RNN>(o); },
      [with_lengths](nn::RNN& m, const X& x) {
        const nn::RecurrentState initial{x.size() > 1 ? x[1] : Var(), x.size() > 2 ? x[2] : Var()};
        return flat(m.forward(x[0], with_lengths ? lengths_3_1() : Tensor(), initial));
      },
      label);
}

ATTEND_GRADCHECK_CASES({
    module_row<nn::RNNCell>(
        "nn.RNNCell", {{2, 3}, {2, 2}}, [] { return std::make_shared<nn::RNNCell>(nn::RNNCellOptions{3, 2}); },
        [](nn::RNNCell& m, const X& x) { return m.forward(x[0], x[1]); }, "tanh"),
    module_row<nn::RNNCell>(
        "nn.RNNCell", {{2, 3}, {2, 3}},
        [] {
          return std::make_shared<nn::RNNCell>(
              nn::RNNCellOptions{.input_size = 3, .hidden_size = 3, .nonlinearity = nn::Nonlinearity::relu});
        },
        [](nn::RNNCell& m, const X& x) { return m.forward(x[0], x[1]); }, "relu"),
    module_row<nn::LSTMCell>(
        "nn.LSTMCell", {{2, 3}, {2, 2}, {2, 2}},
        [] { return std::make_shared<nn::LSTMCell>(nn::LSTMCellOptions{3, 2}); },
        [](nn::LSTMCell& m, const X& x) {
          const nn::RecurrentState s = m.forward(x[0], {x[1], x[2]});
          return concat({s.h, s.c}, 1);
        }),
    module_row<nn::GRUCell>(
        "nn.GRUCell", {{2, 3}, {2, 3}}, [] { return std::make_shared<nn::GRUCell>(nn::GRUCellOptions{3, 3}); },
        [](nn::GRUCell& m, const X& x) { return m.forward(x[0], x[1]); }),
    module_row<nn::AUGRUCell>(
        "nn.AUGRUCell", {{2, 3}, {2, 2}, {2}},
        [] { return std::make_shared<nn::AUGRUCell>(nn::AUGRUCellOptions{3, 2}); },
        [](nn::AUGRUCell& m, const X& x) { return m.forward(x[0], x[1], x[2]); }),
    rnn_row("rnn_tanh_lengths", {.mode = CellKind::rnn_tanh, .hidden_size = 2}, true),
    rnn_row("rnn_relu_lengths", {.mode = CellKind::rnn_relu, .hidden_size = 3}, true),
    rnn_row("lstm_lengths_h0", {.mode = CellKind::lstm, .hidden_size = 2}, true, true),
    rnn_row("gru_lengths_h0", {.mode = CellKind::gru, .hidden_size = 3}, true, true),
    rnn_row("gru_bidirectional_lengths", {.mode = CellKind::gru, .hidden_size = 2, .bidirectional = true}, true),
    rnn_row("lstm_2_layers_time_first",
            {.mode = CellKind::lstm, .hidden_size = 2, .num_layers = 2, .batch_first = false}, false),
    rnn_row("lstm_proj_bidirectional_lengths_h0",
            {.mode = CellKind::lstm, .hidden_size = 3, .bidirectional = true, .proj_size = 2}, true, true),
});

}  // namespace
}  // namespace attend::testing
