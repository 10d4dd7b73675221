#include "attend/tensor/tensor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "attend/core/half.hpp"
#include "attend/tensor/detail/strided_loop.hpp"

namespace attend {

Tensor::Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape, Strides strides, int64_t offset)
    : storage_(std::move(storage)), dtype_(dtype), shape_(std::move(shape)), strides_(std::move(strides)),
      offset_(offset) {
  ATTEND_ASSERT(storage_ != nullptr, "tensor without storage");
  ATTEND_ASSERT(shape_.size() == strides_.size(), "shape {} and {} strides", shape_str(shape_), strides_.size());
  numel_ = attend::numel(shape_);
  if (numel_ == 0) return;
  int64_t lo = offset_, hi = offset_;
  for (size_t d = 0; d < shape_.size(); ++d) {
    const int64_t reach = (shape_[d] - 1) * strides_[d];
    (reach < 0 ? lo : hi) += reach;
  }
  ATTEND_ASSERT(lo >= 0 && static_cast<size_t>(hi + 1) * dtype_size(dtype_) <= storage_->bytes(),
                "view {} at offset {} reaches outside its storage of {} bytes", shape_str(shape_), offset_,
                storage_->bytes());
}

// --- creation ---------------------------------------------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  const int64_t n = attend::numel(shape);
  return Tensor(std::make_shared<Storage>(static_cast<size_t>(n) * dtype_size(dtype)), dtype, shape,
                contiguous_strides(shape), 0);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  if (t.numel() > 0) std::memset(t.raw_data(), 0, static_cast<size_t>(t.numel()) * dtype_size(dtype));
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::arange(double start, double end, double step, DType dtype) {
  ATTEND_CHECK(step != 0.0, "arange: step must be non-zero");
  const double span = (end - start) / step;
  const int64_t n = span > 0 ? static_cast<int64_t>(std::ceil(span)) : 0;
  Tensor t = empty({n}, dtype);
  dispatch_all(dtype, "arange", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor Tensor::randn(const Shape& shape, Rng& rng, DType dtype, double mean, double stddev) {
  Tensor t = empty(shape, dtype);
  dispatch_floating(dtype, "randn", [&](auto tag) { rng.fill_normal(t.data<decltype(tag)>(), t.numel(), mean, stddev); });
  return t;
}

Tensor Tensor::uniform(const Shape& shape, Rng& rng, double lo, double hi, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch_floating(dtype, "uniform", [&](auto tag) { rng.fill_uniform(t.data<decltype(tag)>(), t.numel(), lo, hi); });
  return t;
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape) {
  const int64_t n = attend::numel(shape);
  ATTEND_CHECK(static_cast<int64_t>(values.size()) == n, "from_vector: {} values do not fill shape {} ({} elements)",
               values.size(), shape_str(shape), n);
  Tensor t = empty(shape, dtype_of<T>());
  if (n > 0) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<int64_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<uint8_t>&, const Shape&);

// --- geometry ---------------------------------------------------------------------------------------------------

int64_t Tensor::size(int64_t d) const { return shape_[normalize_dim(d, dim(), "size", shape_)]; }
int64_t Tensor::stride(int64_t d) const { return strides_[normalize_dim(d, dim(), "stride", shape_)]; }

bool Tensor::is_contiguous() const {
  if (numel_ == 0) return true;  // no element to lay out (as torch)
  int64_t expected = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

// --- element access ---------------------------------------------------------------------------------------------

void* Tensor::raw_data() const {
  ATTEND_CHECK(defined(), "raw_data: the tensor is undefined");
  return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(dtype_size(dtype_));
}

template <class T>
T* Tensor::data() const {
  ATTEND_CHECK(defined(), "data: the tensor is undefined");
  ATTEND_CHECK(dtype_ == dtype_of<T>(), "data<{}>: the tensor holds {} (shape {})", dtype_name(dtype_of<T>()),
               dtype_name(dtype_), shape_str(shape_));
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int64_t* Tensor::data<int64_t>() const;
template uint8_t* Tensor::data<uint8_t>() const;

template <class T>
T Tensor::item() const {
  ATTEND_CHECK(numel_ == 1, "item: expected a tensor with one element, got shape {}", shape_str(shape_));
  return to_vector<T>()[0];
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template uint8_t Tensor::item<uint8_t>() const;

template <class T>
std::vector<T> Tensor::to_vector() const {
  const Tensor c = to(dtype_of<T>()).contiguous();
  const T* p = numel_ > 0 ? c.data<T>() : nullptr;
  return std::vector<T>(p, p + numel_);
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;

double Tensor::at(const std::vector<int64_t>& index) const {
  ATTEND_CHECK(static_cast<int64_t>(index.size()) == dim(), "at: {} indices for a tensor of shape {}", index.size(),
               shape_str(shape_));
  int64_t off = 0;
  for (size_t d = 0; d < index.size(); ++d) {
    ATTEND_CHECK(index[d] >= 0 && index[d] < shape_[d], "at: index {} out of range for dim {} of shape {}", index[d],
                 d, shape_str(shape_));
    off += index[d] * strides_[d];
  }
  if (dtype_ == DType::bf16 || dtype_ == DType::f16) {  // widen the one element exactly
    return Tensor(storage_, dtype_, {}, {}, offset_ + off).to(DType::f64).item<double>();
  }
  return dispatch_all(dtype_, "at", [&](auto tag) {
    return static_cast<double>(static_cast<const decltype(tag)*>(raw_data())[off]);
  });
}

// --- views ------------------------------------------------------------------------------------------------------

namespace {

// Strides for viewing (shape, strides) as `target` without a copy, or empty when impossible (as torch's
// computeStride: each run of target dims must map onto a run of source dims that is contiguous within itself).
bool view_strides(const Shape& shape, const Strides& strides, const Shape& target, Strides& out) {
  out.assign(target.size(), 0);
  if (numel(shape) == 0) {
    out = contiguous_strides(target);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(target.size()) - 1;
  int64_t chunk = 1;
  int64_t tensor_numel = 1;
  int64_t chunk_base_stride = strides.empty() ? 1 : strides.back();
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (chunk < tensor_numel || target[view_d] == 1)) {
        out[view_d] = chunk * chunk_base_stride;
        chunk *= target[view_d];
        --view_d;
      }
      if (chunk != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        chunk = 1;
      }
    }
  }
  while (view_d >= 0) out[view_d--] = 1;  // leading extent-1 dims
  return true;
}

}  // namespace

Tensor Tensor::view(const Shape& target) const {
  const Shape resolved = infer_reshape(target, numel_, shape_, "view");
  Strides strides;
  ATTEND_CHECK(view_strides(shape_, strides_, resolved, strides),
               "view: a tensor of shape {} with strides [{}] cannot be viewed as {} without a copy (use reshape)",
               shape_str(shape_), fmt::join(strides_, ", "), shape_str(resolved));
  return Tensor(storage_, dtype_, resolved, strides, offset_);
}

Tensor Tensor::reshape(const Shape& target) const {
  const Shape resolved = infer_reshape(target, numel_, shape_, "reshape");
  Strides strides;
  if (view_strides(shape_, strides_, resolved, strides)) return Tensor(storage_, dtype_, resolved, strides, offset_);
  return contiguous().view(resolved);
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  d0 = normalize_dim(d0, dim(), "transpose", shape_);
  d1 = normalize_dim(d1, dim(), "transpose", shape_);
  Shape shape = shape_;
  Strides strides = strides_;
  std::swap(shape[d0], shape[d1]);
  std::swap(strides[d0], strides[d1]);
  return Tensor(storage_, dtype_, shape, strides, offset_);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  ATTEND_CHECK(static_cast<int64_t>(dims.size()) == dim(), "permute: {} dims given for a tensor of shape {}",
               dims.size(), shape_str(shape_));
  Shape shape(dims.size());
  Strides strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = normalize_dim(dims[i], dim(), "permute", shape_);
    ATTEND_CHECK(!seen[d], "permute: dim {} appears twice in [{}]", d, fmt::join(dims, ", "));
    seen[d] = true;
    shape[i] = shape_[d];
    strides[i] = strides_[d];
  }
  return Tensor(storage_, dtype_, shape, strides, offset_);
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  d = normalize_dim(d, dim(), "narrow", shape_);
  ATTEND_CHECK(start >= 0 && length >= 0 && start <= shape_[d] - length,
               "narrow: [{}, {}) out of range for dim {} of shape {}", start, start + length, d, shape_str(shape_));
  Shape shape = shape_;
  shape[d] = length;
  return Tensor(storage_, dtype_, shape, strides_, offset_ + start * strides_[d]);
}

Tensor Tensor::select(int64_t d, int64_t i) const {
  d = normalize_dim(d, dim(), "select", shape_);
  ATTEND_CHECK(i >= -shape_[d] && i < shape_[d], "select: index {} out of range for dim {} of shape {}", i, d,
               shape_str(shape_));
  if (i < 0) i += shape_[d];
  Shape shape = shape_;
  Strides strides = strides_;
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return Tensor(storage_, dtype_, shape, strides, offset_ + i * strides_[d]);
}

Tensor Tensor::expand(const Shape& target) const {
  ATTEND_CHECK(target.size() >= shape_.size(), "expand: cannot expand shape {} to fewer dims {}", shape_str(shape_),
               shape_str(target));
  const size_t lead = target.size() - shape_.size();
  Strides strides(target.size(), 0);
  for (size_t i = 0; i < target.size(); ++i) {
    if (i < lead) continue;
    const int64_t have = shape_[i - lead];
    ATTEND_CHECK(have == target[i] || have == 1, "expand: shape {} cannot be expanded to {} (dim {}: {} vs {})",
                 shape_str(shape_), shape_str(target), i, have, target[i]);
    strides[i] = have == target[i] ? strides_[i - lead] : 0;
  }
  return Tensor(storage_, dtype_, target, strides, offset_);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = normalize_dim(d, dim() + 1, "unsqueeze", shape_);
  Shape shape = shape_;
  Strides strides = strides_;
  const int64_t stride = d < dim() ? shape_[d] * strides_[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return Tensor(storage_, dtype_, shape, strides, offset_);
}

Tensor Tensor::squeeze(int64_t d) const {
  d = normalize_dim(d, dim(), "squeeze", shape_);
  ATTEND_CHECK(shape_[d] == 1, "squeeze: dim {} of shape {} has extent {}, not 1", d, shape_str(shape_), shape_[d]);
  return select(d, 0);
}

// --- copies -----------------------------------------------------------------------------------------------------

Tensor Tensor::contiguous() const {
  ATTEND_CHECK(defined(), "contiguous: the tensor is undefined");
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  ATTEND_CHECK(defined(), "clone: the tensor is undefined");
  Tensor out = empty(shape_, dtype_);
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  ATTEND_CHECK(defined(), "to: the tensor is undefined");
  if (dtype == dtype_) return *this;
  Tensor out = empty(shape_, dtype);
  out.copy_(*this);
  return out;
}

namespace {

// Copies src (already expanded to dst's shape) into dst element by element through convert(S) -> D.
template <class D, class S, class Convert>
void convert_strided(const Tensor& dst, const Tensor& src, Convert convert) {
  D* dst_base = static_cast<D*>(dst.storage()->data());
  const S* src_base = static_cast<const S*>(src.storage()->data());
  detail::for_each_row<2>(dst.shape(), {dst.strides(), src.strides()}, {dst.offset(), src.offset()},
                          [&](auto off, int64_t n, auto st) {
                            D* d = dst_base + off[0];
                            const S* x = src_base + off[1];
                            if (st[0] == 1 && st[1] == 1) {  // rows of a broadcast or a contiguous copy
                              for (int64_t i = 0; i < n; ++i) d[i] = convert(x[i]);
                            } else {
                              for (int64_t i = 0; i < n; ++i) d[i * st[0]] = convert(x[i * st[1]]);
                            }
                          });
}

bool is_half(DType dtype) { return dtype == DType::bf16 || dtype == DType::f16; }

// The conversions that involve bf16 or f16 (stored as uint16_t bits): the same half type (bit copy), half to f32/f64
// (exact widening), f32/f64 to half (round to nearest even, see core/half.hpp).
void copy_half(const Tensor& dst, const Tensor& src) {
  using Bits = uint16_t;
  const DType to = dst.dtype(), from = src.dtype();
  const bool bf = (is_half(to) ? to : from) == DType::bf16;
  if (to == from) return convert_strided<Bits, Bits>(dst, src, [](Bits b) { return b; });
  if (is_half(from) && (to == DType::f32 || to == DType::f64)) {
    return dispatch_floating(to, "copy_", [&](auto tag) {
      using D = decltype(tag);
      if (bf) return convert_strided<D, Bits>(dst, src, [](Bits b) { return static_cast<D>(bf16_to_float(b)); });
      convert_strided<D, Bits>(dst, src, [](Bits b) { return static_cast<D>(f16_to_float(b)); });
    });
  }
  if (is_half(to) && from == DType::f32) {
    if (bf) return convert_strided<Bits, float>(dst, src, [](float v) { return float_to_bf16(v); });
    return convert_strided<Bits, float>(dst, src, [](float v) { return float_to_f16(v); });
  }
  if (is_half(to) && from == DType::f64) {
    if (bf) return convert_strided<Bits, double>(dst, src, [](double v) { return double_to_bf16(v); });
    return convert_strided<Bits, double>(dst, src, [](double v) { return double_to_f16(v); });
  }
  ATTEND_CHECK(false, "copy_: no conversion from {} to {} (shape {}); go through f32: .to(DType::f32).to(DType::{})",
               dtype_name(from), dtype_name(to), shape_str(src.shape()), dtype_name(to));
}

}  // namespace

void Tensor::copy_(const Tensor& src) const {
  ATTEND_CHECK(defined() && src.defined(), "copy_: undefined tensor");
  const Tensor from = src.expand(shape_);
  if (is_half(dtype_) || is_half(from.dtype_)) return copy_half(*this, from);
  dispatch_all(dtype_, "copy_", [&](auto dst_tag) {
    using D = decltype(dst_tag);
    dispatch_all(from.dtype_, "copy_", [&](auto src_tag) {
      using S = decltype(src_tag);
      convert_strided<D, S>(*this, from, [](S v) { return static_cast<D>(v); });
    });
  });
}

void Tensor::fill_(double value) const {
  dispatch_all(dtype_, "fill_", [&](auto tag) {
    using T = decltype(tag);
    T* base = static_cast<T*>(storage_->data());
    const T v = static_cast<T>(value);
    detail::for_each_row<1>(shape_, {strides_}, {offset_}, [&](auto off, int64_t n, auto st) {
      for (int64_t i = 0; i < n; ++i) base[off[0] + i * st[0]] = v;
    });
  });
}

std::string Tensor::to_string(int64_t max_elements) const {
  if (!defined()) return "Tensor(undefined)";
  std::string s = fmt::format("Tensor({}, {}) [", dtype_name(dtype_), shape_str(shape_));
  const std::vector<double> values = to_vector<double>();
  const int64_t shown = std::min<int64_t>(max_elements, numel_);
  for (int64_t i = 0; i < shown; ++i) s += fmt::format("{}{:.6g}", i ? ", " : "", values[i]);
  return s + (shown < numel_ ? ", ...]" : "]");
}

}  // namespace attend
