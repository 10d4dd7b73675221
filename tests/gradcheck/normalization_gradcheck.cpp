// Gradcheck rows for ops/normalization: the fused layer_norm's hand-written backward, and its composite reference.
#include "attend/ops/normalization.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

ATTEND_GRADCHECK_CASES({
    {"layer_norm", {{2, 3, 4}, {4}, {4}}, [](const X& x) { return layer_norm(x[0], {4}, x[1], x[2]); }},
    {"layer_norm", {{2, 3, 4}}, [](const X& x) { return layer_norm(x[0], {4}); }, Domain::any, "no_affine"},
    {"layer_norm", {{2, 3, 4}, {3, 4}}, [](const X& x) { return layer_norm(x[0], {3, 4}, x[1], Var(), 1e-3); },
     Domain::any, "two_dims_weight_only"},
    {"layer_norm", {{2, 3, 4}, {3, 4}}, [](const X& x) { return layer_norm(x[0], {3, 4}, Var(), x[1]); },
     Domain::any, "two_dims_bias_only"},
    {"layer_norm_composite", {{2, 3, 4}, {4}, {4}},
     [](const X& x) { return layer_norm_composite(x[0], {4}, x[1], x[2]); }},
});

}  // namespace
}  // namespace attend::testing
