// Gradcheck rows for ops/reduction.
#include "attend/ops/elementwise.hpp"
#include "attend/ops/reduction.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

// x + a constant whose values are 10 apart in a scrambled order: no two entries of a [3, 4] input can tie (randn
// draws are far smaller than 10), and the argmax moves around between rows and columns.
Var spread(const Var& x) {
  const std::vector<double> offsets = {30, 110, 0, 70, 50, 10, 100, 80, 20, 90, 60, 40};
  return add(x, Var(Tensor::from_vector(offsets, {3, 4})));
}

ATTEND_GRADCHECK_CASES({
    {"sum", {{3, 4}}, [](const X& x) { return sum(x[0]); }, Domain::any, "all"},
    {"sum", {{2, 3, 4}}, [](const X& x) { return sum(x[0], {1}); }},
    {"sum", {{2, 3, 4}}, [](const X& x) { return sum(x[0], {0, -1}, true); }, Domain::any, "keepdim"},
    {"mean", {{3, 4}}, [](const X& x) { return mean(x[0]); }, Domain::any, "all"},
    {"mean", {{2, 3, 4}}, [](const X& x) { return mean(x[0], {-1}); }},
    {"mean", {{2, 3, 4}}, [](const X& x) { return mean(x[0], {0, 2}, true); }, Domain::any, "keepdim"},
    {"max", {{3, 4}}, [](const X& x) { return max(spread(x[0]), 1); }, Domain::any, "last_dim"},
    {"max", {{3, 4}}, [](const X& x) { return max(spread(x[0]), 0, true); }, Domain::any, "first_dim_keepdim"},
    {"logsumexp", {{2, 3, 4}}, [](const X& x) { return logsumexp(x[0], {-1}); }},
    {"logsumexp", {{2, 3, 4}}, [](const X& x) { return logsumexp(x[0], {0, 1}, true); }, Domain::any, "keepdim"},
    {"logsumexp", {{3, 4}}, [](const X& x) { return logsumexp(x[0], {}); }, Domain::any, "all"},
});

}  // namespace
}  // namespace attend::testing
