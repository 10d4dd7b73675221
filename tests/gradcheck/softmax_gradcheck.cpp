// Gradcheck rows for ops/softmax.
#include <limits>

#include "attend/ops/elementwise.hpp"
#include "attend/ops/softmax.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
constexpr double kInf = std::numeric_limits<double>::infinity();

// x [3, 4] plus a constant mask: row 1 entirely -inf; with `partial`, row 2 has two -inf entries.
Var masked(const Var& x, bool partial) {
  std::vector<double> m(12, 0.0);
  for (int j = 4; j < 8; ++j) m[j] = -kInf;
  if (partial) m[8] = m[10] = -kInf;
  return add(x, Var(Tensor::from_vector(m, {3, 4})));
}

ATTEND_GRADCHECK_CASES({
    {"softmax", {{2, 3, 5}}, [](const X& x) { return softmax(x[0], -1); }},
    {"softmax", {{2, 3, 5}}, [](const X& x) { return softmax(x[0], 1); }, Domain::any, "middle_dim"},
    {"softmax", {{3, 4}}, [](const X& x) { return softmax(masked(x[0], true), -1); }, Domain::any, "masked_rows"},
    {"length_softmax", {{3, 2, 5}}, [](const X& x) {
       return length_softmax(x[0], Tensor::from_vector<int64_t>({5, 2, 0}, {3}));  // full, partial, empty rows
     }},
    {"log_softmax", {{2, 3, 5}}, [](const X& x) { return log_softmax(x[0], -1); }},
    {"log_softmax", {{2, 3, 5}}, [](const X& x) { return log_softmax(x[0], 0); }, Domain::any, "first_dim"},
    // Partial masks would give log_softmax = -inf entries (an infinite loss), so only a fully masked row here.
    {"log_softmax", {{3, 4}}, [](const X& x) { return log_softmax(masked(x[0], false), -1); }, Domain::any,
     "masked_row"},
});

}  // namespace
}  // namespace attend::testing
