// Gradcheck rows for ops/recurrent_gates (the fused GRU and LSTM gate nonlinearities): B 2, H 3.
#include "attend/ops/recurrent_gates.hpp"

#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

ATTEND_GRADCHECK_CASES({
    {"gru_gates", {{2, 9}, {2, 9}, {2, 3}}, [](const X& x) { return gru_gates(x[0], x[1], x[2]); }},
    {"lstm_gates", {{2, 12}, {2, 12}, {2, 3}}, [](const X& x) { return lstm_gates(x[0], x[1], x[2]); }},
    {"gru_gates", {{2, 9}, {2, 9}, {2, 3}}, [](const X& x) { return gru_gates(x[0], x[0], x[2]); }, Domain::any,
     "same_input_twice"},
});

}  // namespace
}  // namespace attend::testing
