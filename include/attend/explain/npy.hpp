// NumPy .npy export of attention weights (format version 1.0: magic "\x93NUMPY", version 1 0, a little-endian
// uint16 header length, a Python-literal header {'descr': '<f4', 'fortran_order': False, 'shape': (T, S), } padded
// with spaces and ended by '\n' so the data starts at a multiple of 64 bytes, then the values in C order).
// numpy.load reads it as float32 of the same shape.
//
// Usage:
//   write_npy("attention.npy", hyp.attention);       // f32 [T, S]; any rank works, f64 is converted to f32
#pragma once

#include <string>

#include "attend/tensor/tensor.hpp"

namespace attend::explain {

/// The file's bytes. Throws attend::Error when the tensor is undefined or its dtype is not floating point.
std::string npy_bytes(const Tensor& values);
/// npy_bytes written all or nothing; throws naming the path when it cannot be written.
void write_npy(const std::string& path, const Tensor& values);

}  // namespace attend::explain
