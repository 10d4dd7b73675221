// Gradcheck rows for ops/linear_algebra: every matmul shape rule (2-D, batch broadcasting, 1-D operands,
// transposed views) and linear with and without bias.
#include "attend/ops/linear_algebra.hpp"
#include "attend/ops/shape.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;
constexpr Domain kAny = Domain::any;

ATTEND_GRADCHECK_CASES({
    {"matmul", {{3, 4}, {4, 5}}, [](const X& x) { return matmul(x[0], x[1]); }},
    {"matmul", {{2, 3, 4}, {2, 4, 5}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "batched"},
    {"matmul", {{2, 1, 3, 4}, {3, 4, 2}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "broadcast_batch"},
    {"matmul", {{2, 3, 4}, {4, 5}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "batched_by_matrix"},
    {"matmul", {{3, 4}, {2, 4, 5}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "matrix_by_batched"},
    {"matmul", {{4}, {4}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "vector_dot"},
    {"matmul", {{4}, {4, 3}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "vector_by_matrix"},
    {"matmul", {{3, 4}, {4}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "matrix_by_vector"},
    {"matmul", {{4}, {2, 4, 3}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "vector_by_batched"},
    {"matmul", {{2, 3, 4}, {4}}, [](const X& x) { return matmul(x[0], x[1]); }, kAny, "batched_by_vector"},
    {"matmul", {{4, 3}, {5, 4}}, [](const X& x) { return matmul(transpose(x[0], 0, 1), transpose(x[1], 0, 1)); },
     kAny, "transposed_views"},
    {"matmul", {{2, 4, 3}, {5, 4}}, [](const X& x) { return matmul(transpose(x[0], -1, -2), transpose(x[1], 0, 1)); },
     kAny, "transposed_batched_by_matrix"},
    {"matmul", {{3, 2, 4}, {2, 4, 3}}, [](const X& x) { return matmul(transpose(x[0], 0, 1), x[1]); }, kAny,
     "permuted_batch"},
    {"linear", {{5, 4}, {3, 4}, {3}}, [](const X& x) { return linear(x[0], x[1], x[2]); }},
    {"linear", {{5, 4}, {3, 4}}, [](const X& x) { return linear(x[0], x[1]); }, kAny, "no_bias"},
    {"linear", {{2, 3, 4}, {5, 4}, {5}}, [](const X& x) { return linear(x[0], x[1], x[2]); }, kAny, "input_3d"},
    {"linear", {{4}, {3, 4}, {3}}, [](const X& x) { return linear(x[0], x[1], x[2]); }, kAny, "input_1d"},
    {"linear", {{3, 2, 4}, {5, 4}, {5}}, [](const X& x) { return linear(transpose(x[0], 0, 1), x[1], x[2]); }, kAny,
     "non_contiguous_input"},
    {"linear", {{4, 5}, {3, 4}}, [](const X& x) { return linear(transpose(x[0], 0, 1), x[1]); }, kAny,
     "column_major_input"},
});

}  // namespace
}  // namespace attend::testing
