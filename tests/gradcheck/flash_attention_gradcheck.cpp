// Gradcheck rows for the fused attention op (f64 runs its naive reference loops, the same formulas as the AVX-512
// tiles, which the unit tests hold to the naive loops): grouped-query heads, Dv ≠ D, lengths with an empty item,
// causal with an offset, a constant bias and a keep mask, dropout (a fixed draw: the factors are constants).
#include "attend/ops/flash_attention.hpp"
#include "gradcheck.hpp"

namespace attend::testing {
namespace {

using X = std::vector<Var>;

Var run(const X& x, const FlashAttentionMask& m, const FlashDropout& d = {}) {
  return flash_attention(x[0], x[1], x[2], m, 0.6, d).context;
}

FlashAttentionMask lengths_causal() {
  return {.key_lengths = Tensor::from_vector(std::vector<int64_t>{4, 0}, {2}), .causal_offset = 1, .bias = Tensor(),
          .keep = Tensor()};
}
FlashAttentionMask bias_keep() {
  return {.key_lengths = Tensor(), .causal_offset = std::nullopt,
          .bias = Tensor::from_vector(
              std::vector<double>{0.5, -1.0, 0.0, 2.0, 0.3, -0.2, 1.0, -0.7, 0.1, 0.9, -0.4, 0.6}, {3, 4}),
          .keep = Tensor::from_vector(std::vector<uint8_t>{1, 0, 1, 1, 0, 1, 1, 1}, {2, 1, 1, 4})};
}

ATTEND_GRADCHECK_CASES({
    {"flash_attention", {{1, 4, 3, 3}, {1, 2, 5, 3}, {1, 2, 5, 2}},
     [](const X& x) { return run(x, {}); }, Domain::any, "grouped_query"},
    {"flash_attention", {{2, 2, 3, 4}, {2, 2, 4, 4}, {2, 2, 4, 3}},
     [](const X& x) { return run(x, lengths_causal()); }, Domain::any, "lengths_causal_empty_item"},
    {"flash_attention", {{2, 2, 3, 4}, {2, 2, 4, 4}, {2, 2, 4, 3}},
     [](const X& x) { return run(x, bias_keep()); }, Domain::any, "bias_keep"},
    {"flash_attention", {{2, 2, 3, 4}, {2, 1, 5, 4}, {2, 1, 5, 3}},
     [](const X& x) { return run(x, lengths_causal(), {.p = 0.4, .seed = 8, .stream = 0, .first = 1}); },
     Domain::any, "dropout_lengths_causal"},
});

}  // namespace
}  // namespace attend::testing
