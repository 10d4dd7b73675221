#include "attend/core/shape.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>

#include "attend/core/error.hpp"

namespace attend {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t extent : shape) {
    ATTEND_CHECK(extent >= 0, "shape {} has a negative extent", shape_str(shape));
    ATTEND_CHECK(extent == 0 || n <= std::numeric_limits<int64_t>::max() / extent,
                 "shape {} has more elements than int64 can count", shape_str(shape));
    n *= extent;
  }
  return n;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i] > 0 ? shape[i] : 1;
  }
  return strides;
}

int64_t normalize_dim(int64_t dim, int64_t rank, const char* op, const Shape& shape) {
  const int64_t lo = rank == 0 ? -1 : -rank;
  const int64_t hi = rank == 0 ? 0 : rank - 1;
  ATTEND_CHECK(dim >= lo && dim <= hi, "{}: dim {} out of range for a tensor of rank {} (shape {})", op, dim, rank,
               shape_str(shape));
  return dim < 0 ? dim + (rank == 0 ? 1 : rank) : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    ATTEND_CHECK(ea == eb || ea == 1 || eb == 1,
                 "{}: shapes {} and {} do not broadcast (dim {} of the result: {} vs {})", op, shape_str(a),
                 shape_str(b), i, ea, eb);
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

Shape infer_reshape(const Shape& target, int64_t count, const Shape& from, const char* op) {
  Shape out = target;
  int64_t known = 1;
  int infer_at = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      ATTEND_CHECK(infer_at < 0, "{}: only one -1 allowed in target shape {}", op, shape_str(target));
      infer_at = static_cast<int>(i);
    } else {
      ATTEND_CHECK(out[i] >= 0, "{}: target shape {} has a negative extent", op, shape_str(target));
      known *= out[i];
    }
  }
  if (infer_at >= 0) {
    ATTEND_CHECK(known != 0 && count % known == 0, "{}: cannot reshape {} ({} elements) into {}", op,
                 shape_str(from), count, shape_str(target));
    out[infer_at] = count / known;
  }
  ATTEND_CHECK(numel(out) == count, "{}: cannot reshape {} ({} elements) into {} ({} elements)", op, shape_str(from),
               count, shape_str(out), numel(out));
  return out;
}

}  // namespace attend
