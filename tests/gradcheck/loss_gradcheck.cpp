// Gradcheck rows for ops/loss: targets are built inside the lambdas (they are i64 and take no gradient).
#include "attend/ops/loss.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

Tensor ids(const std::vector<int64_t>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }

ATTEND_GRADCHECK_CASES({
    {"cross_entropy", {{4, 5}}, [](const X& x) { return cross_entropy(x[0], ids({1, 0, 4, 2}, {4})); }},
    {"cross_entropy", {{4, 5}}, [](const X& x) {
       return cross_entropy(x[0], ids({3, 3, 0, 1}, {4}), {.reduction = Reduction::sum});
     }, Domain::any, "sum"},
    {"cross_entropy", {{4, 5}}, [](const X& x) {
       return cross_entropy(x[0], ids({2, -100, 4, 0}, {4}), {.reduction = Reduction::none});
     }, Domain::any, "none_ignore"},
    {"cross_entropy", {{2, 3, 4}}, [](const X& x) {
       return cross_entropy(x[0], ids({0, 3, 1, 1, 0, 2}, {2, 3}), {.ignore_index = 0, .label_smoothing = 0.1});
     }, Domain::any, "btv_ignore_smoothing"},
    {"cross_entropy", {{3, 4}}, [](const X& x) {
       return cross_entropy(x[0], ids({1, 2, 3}, {3}), {.reduction = Reduction::sum, .label_smoothing = 0.3});
     }, Domain::any, "smoothing_sum"},
});

}  // namespace
}  // namespace attend::testing
