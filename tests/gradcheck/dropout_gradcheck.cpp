// Gradcheck rows for ops/dropout: a fixed Rng seed inside the lambda gives every evaluation the same mask.
#include "attend/ops/dropout.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

ATTEND_GRADCHECK_CASES({
    {"dropout", {{4, 5}}, [](const X& x) {
       Rng rng(123, 4, 2);  // an offset that is not a multiple of 4 (Philox block size)
       return dropout(x[0], 0.4, true, rng);
     }},
});

}  // namespace
}  // namespace attend::testing
