// Gradcheck rows for ops/indexing: index_select (with repeated indices, as in an embedding lookup), gather,
// masked_fill and where (with broadcasting).
#include "attend/ops/shape.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
constexpr Domain kAny = Domain::any;

Tensor ids(const std::vector<int64_t>& values, const Shape& shape) { return Tensor::from_vector(values, shape); }
Tensor mask(const std::vector<uint8_t>& values, const Shape& shape) { return Tensor::from_vector(values, shape); }

ATTEND_GRADCHECK_CASES({
    {"index_select", {{4, 3}}, [](const X& x) { return index_select(x[0], 0, ids({1, 3, 1, 0, 1}, {5})); }, kAny,
     "embedding_repeated_ids"},
    {"index_select", {{2, 4, 3}}, [](const X& x) { return index_select(x[0], 1, ids({3, 3, 0}, {3})); }, kAny,
     "middle_dim"},
    {"index_select", {{3, 4}}, [](const X& x) { return index_select(transpose(x[0], 0, 1), -1, ids({2, 0}, {2})); },
     kAny, "non_contiguous_last_dim"},
    {"gather", {{3, 4}}, [](const X& x) { return gather(x[0], 1, ids({3, 3, 0, 1, 2, 1}, {3, 2})); }},
    {"gather", {{3, 4}}, [](const X& x) { return gather(x[0], 0, ids({2, 0, 2, 1}, {1, 4})); }, kAny, "dim0"},
    {"masked_fill", {{3, 4}}, [](const X& x) { return masked_fill(x[0], mask({1, 0, 0, 1}, {4}), -7.0); }},
    {"where", {{3, 4}, {3, 4}}, [](const X& x) {
       return where(mask({1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0}, {3, 4}), x[0], x[1]);
     }},
    {"where", {{3, 1}, {4}}, [](const X& x) {
       return where(mask({1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0}, {3, 4}), x[0], x[1]);
     }, kAny, "broadcast"},
});

}  // namespace
}  // namespace attend::testing
