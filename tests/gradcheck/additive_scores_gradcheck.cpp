// Gradcheck rows for ops/additive_scores (fused Bahdanau scores): B 2, Tq 3, Tk 4, h 5.
#include "attend/ops/additive_scores.hpp"

#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

ATTEND_GRADCHECK_CASES({
    {"additive_scores", {{2, 3, 5}, {2, 4, 5}, {1, 5}}, [](const X& x) { return additive_scores(x[0], x[1], x[2]); }},
    {"additive_scores", {{2, 1, 5}, {2, 4, 5}, {1, 5}}, [](const X& x) { return additive_scores(x[0], x[1], x[2]); },
     Domain::any, "one_query"},
    {"additive_scores", {{2, 3, 5}, {2, 4, 5}, {1, 5}},
     [](const X& x) { return additive_scores(x[0], x[1], x[2], Tensor::from_vector<int64_t>({2, 0}, {2})); },
     Domain::any, "key_lengths"},
});

}  // namespace
}  // namespace attend::testing
