// Gradcheck rows for ops/elementwise.
#include "attend/ops/elementwise.hpp"

#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

ATTEND_GRADCHECK_CASES({
    {"add", {{3, 4}, {3, 4}}, [](const X& x) { return add(x[0], x[1]); }},
    {"add", {{2, 3, 4}, {4}}, [](const X& x) { return add(x[0], x[1]); }, Domain::any, "broadcast"},
    {"sub", {{3, 1}, {1, 4}}, [](const X& x) { return sub(x[0], x[1]); }, Domain::any, "broadcast"},
    {"mul", {{2, 3}, {2, 3}}, [](const X& x) { return mul(x[0], x[1]); }},
    {"mul", {{2, 1, 3}, {4, 1}}, [](const X& x) { return mul(x[0], x[1]); }, Domain::any, "broadcast"},
    {"div", {{2, 3}, {2, 3}}, [](const X& x) { return div(x[0], x[1]); }, Domain::positive},
    {"add_scalar", {{5}}, [](const X& x) { return add(x[0], 2.5); }},
    {"mul_scalar", {{5}}, [](const X& x) { return mul(x[0], -1.5); }},
    {"pow", {{2, 3}}, [](const X& x) { return pow(x[0], 2.5); }, Domain::positive},
    {"pow", {{4}}, [](const X& x) { return pow(x[0], 3.0); }, Domain::any, "integer"},
    {"neg", {{3}}, [](const X& x) { return neg(x[0]); }},
    {"exp", {{2, 3}}, [](const X& x) { return exp(x[0]); }},
    {"log", {{2, 3}}, [](const X& x) { return log(x[0]); }, Domain::positive},
    {"sqrt", {{2, 3}}, [](const X& x) { return sqrt(x[0]); }, Domain::positive},
    {"tanh", {{3, 4}}, [](const X& x) { return tanh(x[0]); }},
    {"sigmoid", {{3, 4}}, [](const X& x) { return sigmoid(x[0]); }},
    {"relu", {{3, 4}}, [](const X& x) { return relu(x[0]); }, Domain::away_from_zero},
    {"gelu", {{3, 4}}, [](const X& x) { return gelu(x[0]); }},
    {"mul", {{3}}, [](const X& x) { return mul(x[0], x[0]); }, Domain::any, "same_input_twice"},
});

}  // namespace
}  // namespace attend::testing
