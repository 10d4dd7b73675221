// Cross entropy as one primitive: the forward (log-softmax, nll, label smoothing, reduction) and right below its
// fused backward, (softmax − smoothed one-hot) · g / count. Rows are [N, V] with N = all leading dims of logits.
// f32 rows go through the vectorised softmax kernels (a vocabulary of 8000 made libm's exp 10% of a seq2seq training
// step); f64 rows (gradchecks) through the double loops.
#include "attend/ops/loss.hpp"

#include "attend/core/threads.hpp"

#include <fmt/ranges.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <vector>

#include "attend/autograd/node.hpp"
#include "attend/ops/registry.hpp"
#include "attend/tensor/kernels/softmax.hpp"

namespace attend {

namespace {

// "[1, 2]": the index of flat position r in `shape`.
std::string position_str(int64_t r, const Shape& shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = r % shape[d];
    r /= shape[d];
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

void check_arguments(const Var& logits, const Tensor& target, const CrossEntropyOptions& o) {
  ATTEND_CHECK(logits.dim() >= 2, "cross_entropy: logits must be [N, V] or [B, T, V], got shape {}",
               shape_str(logits.shape()));
  ATTEND_CHECK(target.defined(), "cross_entropy: target is undefined; logits shape {}", shape_str(logits.shape()));
  ATTEND_CHECK(target.dtype() == DType::i64, "cross_entropy: target must be i64 class ids, got {} with shape {}",
               dtype_name(target.dtype()), shape_str(target.shape()));
  const Shape lead(logits.shape().begin(), logits.shape().end() - 1);
  ATTEND_CHECK(target.shape() == lead,
               "cross_entropy: target shape {} must equal logits shape without its last dim ({}); logits shape {}",
               shape_str(target.shape()), shape_str(lead), shape_str(logits.shape()));
  ATTEND_CHECK(logits.size(-1) >= 1, "cross_entropy: logits have no classes (shape {})", shape_str(logits.shape()));
  ATTEND_CHECK(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0,
               "cross_entropy: label_smoothing must lie in [0, 1], got {}", o.label_smoothing);
}

// Per-row loss in double: (1 − ε)(lse − x_t) + ε (lse − mean_j x_j); also returns lse for the backward.
template <class T>
double row_loss(const T* x, int64_t V, int64_t t, double eps, double* lse_out) {
  double m = -std::numeric_limits<double>::infinity(), total = 0.0;
  for (int64_t j = 0; j < V; ++j) {
    m = std::fmax(m, static_cast<double>(x[j]));
    total += static_cast<double>(x[j]);
  }
  double s = 0.0;
  for (int64_t j = 0; j < V; ++j) s += std::exp(static_cast<double>(x[j]) - m);
  const double lse = m + std::log(s);
  *lse_out = lse;
  const double nll = lse - static_cast<double>(x[t]);
  return eps == 0.0 ? nll : (1.0 - eps) * nll + eps * (lse - total / static_cast<double>(V));
}

// The f32 row through the vectorised kernels (tensor/kernels/softmax.hpp): log-softmax into `logp` [V], then the
// same formula; lse = x_t − log p_t. Agrees with row_loss to the kernels' 1e-6 relative.
double row_loss_f32(const float* x, int64_t V, int64_t t, double eps, double* lse_out, float* logp) {
  kernels::log_softmax_rows(x, logp, 1, V);
  *lse_out = static_cast<double>(x[t]) - static_cast<double>(logp[t]);
  const double nll = -static_cast<double>(logp[t]);
  if (eps == 0.0) return nll;
  double total = 0.0;
  for (int64_t j = 0; j < V; ++j) total += static_cast<double>(logp[j]);
  return (1.0 - eps) * nll - eps * total / static_cast<double>(V);
}

}  // namespace

// cross_entropy: loss_r = (1 − ε)·(−log p_t) + ε·mean_j(−log p_j), p = softmax(logits_r);
// d loss_r / d logits_r = p − q, q = (1 − ε)·onehot(t) + ε/V; times g (none), g (sum) or g / count (mean).
ATTEND_REGISTER_OP("cross_entropy");
Var cross_entropy(const Var& logits, const Tensor& target, const CrossEntropyOptions& options) {
  check_arguments(logits, target, options);
  const int64_t V = logits.size(-1);
  const int64_t N = logits.numel() / V;
  const Tensor ids = target.contiguous();
  const int64_t* t = ids.data<int64_t>();
  int64_t count = 0;
  for (int64_t r = 0; r < N; ++r) {
    if (t[r] == options.ignore_index) continue;
    ATTEND_CHECK(t[r] >= 0 && t[r] < V,
                 "cross_entropy: target value {} at position {} is outside [0, {}) and is not ignore_index ({}); "
                 "target shape {}, logits shape {}",
                 t[r], position_str(r, target.shape()), V, options.ignore_index, shape_str(target.shape()),
                 shape_str(logits.shape()));
    ++count;
  }

  const Tensor x = logits.value().contiguous();  // [N, V]
  const double eps = options.label_smoothing;
  const int64_t ignore = options.ignore_index;
  std::vector<double> losses(static_cast<size_t>(N), 0.0), lse(static_cast<size_t>(N), 0.0);
  dispatch_floating(x.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const bool parallel = parallel_worth(N, N * V);
    parallel_for(N, parallel, [&](int64_t r) {
      if (t[r] == ignore) return;
      if constexpr (std::is_same_v<T, float>) {
        thread_local std::vector<float> logp;
        logp.resize(static_cast<size_t>(V));
        losses[r] = row_loss_f32(xp + r * V, V, t[r], eps, &lse[r], logp.data());
      } else {
        losses[r] = row_loss(xp + r * V, V, t[r], eps, &lse[r]);
      }
    });
  });

  Tensor y;
  if (options.reduction == Reduction::none) {
    y = Tensor::from_vector(losses, target.shape()).to(x.dtype());  // [N] or [B, T]
  } else {
    double total = 0.0;
    for (double l : losses) total += l;  // fixed order: independent of the thread count
    if (options.reduction == Reduction::mean) total = count > 0 ? total / static_cast<double>(count) : 0.0;
    y = Tensor::scalar(total, x.dtype());  // [] (a mean over zero targets is 0, where torch gives nan)
  }

  const Reduction reduction = options.reduction;
  return make_result(y, {logits}, [x, ids, lse = std::move(lse), eps, ignore, count, reduction, V, N,
                                   shape = logits.shape()](const Tensor& g, Grads& grads) {
    const int64_t* tp = ids.data<int64_t>();
    const Tensor gc = g.contiguous();  // [] or the target's shape
    Tensor dx = Tensor::empty(x.shape(), x.dtype());
    dispatch_floating(x.dtype(), "cross_entropy_backward", [&](auto tag) {
      using T = decltype(tag);
      const T* xp = x.data<T>();
      const T* gp = gc.data<T>();
      T* dp = dx.data<T>();
      double scale = static_cast<double>(gp[0]);
      if (reduction == Reduction::mean) scale = count > 0 ? scale / static_cast<double>(count) : 0.0;
      const double off = eps / static_cast<double>(V);
      const bool parallel = parallel_worth(N, N * V);
      parallel_for(N, parallel, [&](int64_t r) {
        T* d = dp + r * V;
        if (tp[r] == ignore) {
          for (int64_t j = 0; j < V; ++j) d[j] = T{0};
          return;
        }
        const double gr = reduction == Reduction::none ? static_cast<double>(gp[r]) : scale;
        const T* xr = xp + r * V;
        if constexpr (std::is_same_v<T, float>) {  // p from the vectorised softmax, then (p − q)·g in place
          kernels::softmax_rows(xr, d, 1, V);
          const float g32 = static_cast<float>(gr), off32 = static_cast<float>(off);
          for (int64_t j = 0; j < V; ++j) d[j] = (d[j] - off32) * g32;
          d[tp[r]] -= static_cast<float>((1.0 - eps) * gr);
        } else {
          for (int64_t j = 0; j < V; ++j) {
            const double q = off + (j == tp[r] ? 1.0 - eps : 0.0);
            d[j] = static_cast<T>((std::exp(static_cast<double>(xr[j]) - lse[r]) - q) * gr);
          }
        }
      });
    });
    grads[0] = dx.reshape(shape);
  }, "cross_entropy");
}

}  // namespace attend
