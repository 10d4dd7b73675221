// Shapes and strides: the small vocabulary every layer uses to talk about tensor geometry.
//
// A Shape is a list of non-negative extents, outermost first ([B, T, C]); strides are in elements, not bytes.
// Shape letters used across attend: B batch, T time, Tq/Tk query/key time, C model width, H heads, D head width,
// V vocabulary, L layers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attend {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;

/// Product of the extents (1 for a scalar shape []). Throws attend::Error on a negative extent or int64 overflow.
int64_t numel(const Shape& shape);

/// "[2, 3, 4]"; "[]" for a scalar.
std::string shape_str(const Shape& shape);

/// Row-major strides of a contiguous tensor of this shape.
Strides contiguous_strides(const Shape& shape);

/// Maps a possibly negative dim to [0, rank). `op` and `arg` name the caller in the error:
/// "softmax: dim -4 out of range for a tensor of rank 3 (shape [2, 3, 5])".
int64_t normalize_dim(int64_t dim, int64_t rank, const char* op, const Shape& shape);

/// NumPy broadcasting of two shapes (align right, extents equal or 1). Throws naming op and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Resolves one -1 entry of a reshape target against numel; checks the total matches.
Shape infer_reshape(const Shape& target, int64_t numel, const Shape& from, const char* op);

}  // namespace attend
