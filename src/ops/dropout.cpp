// Inverted dropout: forward, then its backward right below. The mask is drawn from Philox words by element index.
#include "attend/ops/dropout.hpp"

#include "attend/core/threads.hpp"

#include <omp.h>

#include <cmath>

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/map.hpp"

namespace attend {

namespace {

// m[i] = scale when word_at(first + i) >= threshold, else 0; m is contiguous with shape `shape`. Each Philox block
// gives 4 consecutive words, so the loop runs over blocks; element i depends on its index only, not on the threads.
template <class T>
Tensor draw_mask(const Shape& shape, DType dtype, const Rng& rng, uint64_t first, uint64_t threshold, T scale) {
  Tensor m = Tensor::empty(shape, dtype);
  T* out = m.data<T>();
  const uint64_t n = static_cast<uint64_t>(m.numel());
  if (n == 0) return m;
  const uint64_t first_block = first / 4, last_block = (first + n - 1) / 4;
  const int64_t blocks = static_cast<int64_t>(last_block - first_block + 1);
  const bool parallel = parallel_worth(static_cast<int64_t>(blocks), static_cast<int64_t>(n));
  parallel_for(blocks, parallel, [&](int64_t b) {
    const uint64_t block = first_block + static_cast<uint64_t>(b);
    const auto words = rng.block_at(block);
    for (uint64_t j = 0; j < 4; ++j) {
      const uint64_t index = block * 4 + j;
      if (index < first || index >= first + n) continue;
      out[index - first] = words[j] >= threshold ? scale : T{0};
    }
  });
  return m;
}

}  // namespace

// dropout: y = x ⊙ m, m = keep / (1 − p); dy/dx = m (the same mask).
ATTEND_REGISTER_OP("dropout");
Var dropout(const Var& x, double p, bool training, Rng& rng) {
  ATTEND_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must lie in [0, 1], got {}; input shape {}", p, shape_str(x.shape()));
  ATTEND_CHECK(is_floating(x.dtype()), "dropout: expected a floating input (f32 or f64), got {} with shape {}",
               dtype_name(x.dtype()), shape_str(x.shape()));
  if (!training || p == 0.0) return x;
  const uint64_t first = rng.advance(static_cast<uint64_t>(x.numel()));
  const uint64_t threshold = dropout_keep_threshold(p);
  const Tensor mask = dispatch_floating(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T{0};
    return draw_mask<T>(x.shape(), x.dtype(), rng, first, threshold, scale);
  });
  const auto apply = [](auto v, auto m) { return m == 0 ? decltype(v){0} : v * m; };
  return make_result(map(x.value(), mask, apply, "dropout"), {x}, [mask, apply](const Tensor& g, Grads& grads) {
    grads[0] = map(g, mask, apply, "dropout_backward");
  }, "dropout");
}

}  // namespace attend
