// Gradcheck rows for ops/recurrent_gates (the fused GRU and LSTM gate nonlinearities, B 2, H 3) and
// ops/recurrent_layer (the whole-sequence ops: T 3, B 3, H 2, rows running {3, 2, 1}, one and two directions).
#include "attend/ops/recurrent_gates.hpp"
#include "attend/ops/recurrent_layer.hpp"

#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

ATTEND_GRADCHECK_CASES({
    {"gru_gates", {{2, 9}, {2, 9}, {2, 3}}, [](const X& x) { return gru_gates(x[0], x[1], x[2]); }},
    {"lstm_gates", {{2, 12}, {2, 12}, {2, 3}}, [](const X& x) { return lstm_gates(x[0], x[1], x[2]); }},
    {"gru_gates", {{2, 9}, {2, 9}, {2, 3}}, [](const X& x) { return gru_gates(x[0], x[0], x[2]); }, Domain::any,
     "same_input_twice"},
    {"gru_layer", {{3, 3, 6}, {6, 2}, {6}, {3, 2}},
     [](const X& x) { return gru_layer(x[0], {x[1]}, {x[2]}, {x[3]}, {3, 2, 1}); }},
    {"gru_layer", {{3, 3, 12}, {6, 2}, {6, 2}, {3, 2}, {3, 2}},
     [](const X& x) { return gru_layer(x[0], {x[1], x[2]}, {}, {x[3], x[4]}, {3, 2, 1}); }, Domain::any,
     "two_directions_no_bias"},
    {"lstm_layer", {{3, 3, 8}, {8, 2}, {8}, {3, 2}, {3, 2}},
     [](const X& x) { return lstm_layer(x[0], {x[1]}, {x[2]}, {x[3]}, {x[4]}, {3, 2, 1}); }},
    {"lstm_layer", {{3, 3, 16}, {8, 2}, {8, 2}, {8}, {8}, {3, 2}, {3, 2}, {3, 2}, {3, 2}},
     [](const X& x) { return lstm_layer(x[0], {x[1], x[2]}, {x[3], x[4]}, {x[5], x[6]}, {x[7], x[8]}, {3, 2, 1}); },
     Domain::any, "two_directions"},
});

}  // namespace
}  // namespace attend::testing
