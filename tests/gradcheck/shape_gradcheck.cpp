// Gradcheck rows for ops/shape: views, slices and joins (split and chunk pieces are used with different weights, so
// a piece routed to the wrong place would show).
#include "attend/ops/elementwise.hpp"
#include "attend/ops/shape.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
constexpr Domain kAny = Domain::any;

ATTEND_GRADCHECK_CASES({
    {"reshape", {{2, 3, 4}}, [](const X& x) { return reshape(x[0], {4, -1}); }},
    {"reshape", {{3, 4}}, [](const X& x) { return reshape(transpose(x[0], 0, 1), {2, 6}); }, kAny, "copying"},
    {"transpose", {{2, 3, 4}}, [](const X& x) { return transpose(x[0], 0, -1); }},
    {"permute", {{2, 3, 4}}, [](const X& x) { return permute(x[0], {1, 2, 0}); }},
    {"narrow", {{3, 5}}, [](const X& x) { return narrow(x[0], 1, 1, 3); }},
    {"select", {{3, 4, 2}}, [](const X& x) { return select(x[0], 1, -1); }},
    {"select", {{3, 4}}, [](const X& x) { return mul(select(x[0], 0, 0), select(x[0], 0, 2)); }, kAny, "twice"},
    {"expand", {{3, 1}}, [](const X& x) { return expand(x[0], {2, 3, 4}); }},
    {"unsqueeze", {{3, 4}}, [](const X& x) { return unsqueeze(x[0], -1); }},
    {"squeeze", {{3, 1, 4}}, [](const X& x) { return squeeze(x[0], 1); }},
    {"concat", {{2, 3}, {2, 1}, {2, 2}}, [](const X& x) { return concat({x[0], x[1], x[2]}, -1); }},
    {"concat", {{2, 3}}, [](const X& x) { return concat({x[0], mul(x[0], 2.0)}, 0); }, kAny, "same_input_twice"},
    {"stack", {{2, 3}, {2, 3}}, [](const X& x) { return stack({x[0], x[1]}, 1); }},
    {"stack", {{3}, {3}, {3}}, [](const X& x) { return stack({x[0], x[1], x[2]}, -1); }, kAny, "last_dim"},
    {"split", {{2, 7}}, [](const X& x) {
       const auto p = split(x[0], 3, 1);  // widths 3, 3, 1
       return concat({mul(p[2], 5.0), mul(p[0], -2.0), mul(p[1], 3.0)}, 1);
     }},
    {"split", {{4, 3}}, [](const X& x) { return mul(split(x[0], 3, 0)[1], 2.0); }, kAny, "one_piece_used"},
    {"chunk", {{5, 2}}, [](const X& x) {
       const auto p = chunk(x[0], 2, 0);  // heights 3, 2
       return concat({mul(p[1], 3.0), mul(p[0], -1.5)}, 0);
     }},
    {"chunk", {{2, 8}}, [](const X& x) {
       const auto g = chunk(x[0], 4, -1);  // LSTM-style gates
       return add(mul(g[0], g[1]), mul(g[2], g[3]));
     }, kAny, "gates"},
});

}  // namespace
}  // namespace attend::testing
