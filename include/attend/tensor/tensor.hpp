// Tensor: an n-dimensional strided view of a shared Storage, with no autograd (see autograd/var.hpp for that).
//
// A Tensor is (storage, dtype, shape, strides, offset); strides and offset count elements. Copying a Tensor shares
// the storage, like torch.Tensor. Views (reshape where possible, transpose, permute, narrow, select, expand,
// unsqueeze, squeeze) share storage too; contiguous() and clone() copy. The no-grad math lives in
// tensor/elementwise.hpp, tensor/reduce.hpp and tensor/linalg.hpp.
//
// Usage:
//   Tensor x = Tensor::randn({2, 3, 4}, rng);     // [B, T, C]
//   Tensor xt = x.transpose(1, 2);                 // [B, C, T], a view
//   float first = xt.contiguous().data<float>()[0];
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "attend/core/dtype.hpp"
#include "attend/core/rng.hpp"
#include "attend/core/shape.hpp"
#include "attend/tensor/storage.hpp"

namespace attend {

class Tensor {
 public:
  /// An undefined tensor (defined() is false); used for "no gradient" and optional arguments.
  Tensor() = default;
  /// A view of `storage` (no copy). Checks that every addressed element lies inside the storage.
  Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape, Strides strides, int64_t offset);

  // --- creation -----------------------------------------------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);  ///< uninitialised
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor ones(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
  /// [start, start + step, ...) below end, 1-D.
  static Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::f32);
  static Tensor arange(int64_t n, DType dtype = DType::f32) { return arange(0.0, static_cast<double>(n), 1.0, dtype); }
  static Tensor randn(const Shape& shape, Rng& rng, DType dtype = DType::f32, double mean = 0.0, double stddev = 1.0);
  static Tensor uniform(const Shape& shape, Rng& rng, double lo, double hi, DType dtype = DType::f32);
  /// Copies `values` (numel(shape) of them) into a new contiguous tensor. T is float, double, int64_t or uint8_t.
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape);
  /// A 0-d tensor.
  static Tensor scalar(double value, DType dtype = DType::f32);

  // --- geometry -----------------------------------------------------------------------------------------------
  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  /// Extent of dim d (negative d counts from the end).
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t numel() const { return numel_; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // --- element access -----------------------------------------------------------------------------------------
  /// Pointer to the first element (at offset); T must match dtype(). Index with the strides.
  template <class T>
  T* data() const;
  void* raw_data() const;
  /// The single element of a 1-element tensor, converted to T.
  template <class T>
  T item() const;
  /// All elements in row-major order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;
  /// One element by full index, as double (tests and debugging).
  double at(const std::vector<int64_t>& index) const;

  // --- views (share storage) ----------------------------------------------------------------------------------
  /// A view when the strides allow it, otherwise a contiguous copy. One extent may be -1.
  Tensor reshape(const Shape& shape) const;
  /// Like reshape, but throws instead of copying.
  Tensor view(const Shape& shape) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor permute(const std::vector<int64_t>& dims) const;
  /// Elements [start, start + length) of dim d.
  Tensor narrow(int64_t d, int64_t start, int64_t length) const;
  /// Index i of dim d; the result has one dim fewer.
  Tensor select(int64_t d, int64_t i) const;
  /// Broadcasts extents of 1 (or new leading dims) to `shape` with stride 0.
  Tensor expand(const Shape& shape) const;
  Tensor unsqueeze(int64_t d) const;
  /// Removes dim d, which must have extent 1.
  Tensor squeeze(int64_t d) const;
  Tensor flatten() const { return reshape({numel_}); }

  // --- copies -------------------------------------------------------------------------------------------------
  /// This tensor if contiguous, otherwise a contiguous copy.
  Tensor contiguous() const;
  /// A contiguous copy that owns new storage.
  Tensor clone() const;
  /// Converted copy (this tensor itself when the dtype already matches).
  Tensor to(DType dtype) const;
  /// Copies src (broadcast to this shape, converting dtype) into this tensor's elements, in place.
  void copy_(const Tensor& src) const;
  void fill_(double value) const;

  /// "Tensor(f32, [2, 3]) [[...]]" with up to `max_elements` values.
  std::string to_string(int64_t max_elements = 64) const;

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::f32;
  Shape shape_;
  Strides strides_;
  int64_t offset_ = 0;
  int64_t numel_ = 0;
};

}  // namespace attend
