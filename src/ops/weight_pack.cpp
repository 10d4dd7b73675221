// WeightPackGuard (include/attend/ops/weight_pack.hpp): a per-thread list of the weights packed under the outermost
// live guard; a guard holds a handful of weights, so a linear search finds them.
#include "attend/ops/weight_pack.hpp"

#include <vector>

#include "attend/tensor/kernels/row_gemm.hpp"

namespace attend {

namespace detail {

struct WeightPackCache {
  std::vector<std::shared_ptr<PackedWeight>> weights;
};

namespace {
thread_local std::unique_ptr<WeightPackCache> active;

Tensor packed(const Tensor& w, bool transposed) {  // B = Wᵀ [in, out] when transposed, else W [out, in]
  const int64_t K = transposed ? w.size(1) : w.size(0), N = transposed ? w.size(0) : w.size(1);
  Tensor out = Tensor::empty({kernels::row_gemm_packed_size(K, N)});
  kernels::row_gemm_pack(K, N, w.data<float>(), transposed ? w.stride(1) : w.stride(0),
                         transposed ? w.stride(0) : w.stride(1), out.data<float>());
  return out;
}
}  // namespace

PackedWeight::PackedWeight(const Tensor& weight) : weight_(weight), forward_(packed(weight, true)) {}

const float* PackedWeight::backward_panels() {
  if (!backward_.defined()) backward_ = packed(weight_, false);
  return backward_.data<float>();
}

bool PackedWeight::matches(const Tensor& weight) const {
  return weight.storage() == weight_.storage() && weight.offset() == weight_.offset() &&
         weight.shape() == weight_.shape() && weight.strides() == weight_.strides() && weight.dtype() == weight_.dtype();
}

std::shared_ptr<PackedWeight> packed_weight(const Tensor& weight, int64_t rows) {
  if (active == nullptr || rows > kPackedLinearRows || weight.dtype() != DType::f32 || weight.dim() != 2 ||
      !kernels::row_gemm_vectorized())
    return nullptr;
  for (const auto& p : active->weights)
    if (p->matches(weight)) return p;
  active->weights.push_back(std::make_shared<PackedWeight>(weight));
  return active->weights.back();
}

}  // namespace detail

WeightPackGuard::WeightPackGuard() : outermost_(detail::active == nullptr) {
  if (outermost_) detail::active = std::make_unique<detail::WeightPackCache>();
}

WeightPackGuard::~WeightPackGuard() {
  if (!outermost_) return;
  detail::active.reset();  // the panels live on in the backward closures that hold them
}

}  // namespace attend
