// Shared test helpers: tensor comparison with a readable failure message.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "attend/core/error.hpp"
#include "attend/tensor/tensor.hpp"

namespace attend::testing {

/// Passes when shapes match and |a - b| <= atol + rtol·|b| everywhere; the message names the worst element.
inline ::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double atol = 1e-6, double rtol = 1e-5) {
  if (a.shape() != b.shape()) {
    return ::testing::AssertionFailure() << "shapes differ: " << shape_str(a.shape()) << " vs " << shape_str(b.shape());
  }
  const auto va = a.to_vector<double>();
  const auto vb = b.to_vector<double>();
  double worst = 0.0;
  size_t at = 0;
  bool ok = true;
  for (size_t i = 0; i < va.size(); ++i) {
    const double err = std::abs(va[i] - vb[i]);
    const bool bad = !(err <= atol + rtol * std::abs(vb[i])) && !(std::isnan(va[i]) && std::isnan(vb[i]));
    if (bad && (ok || err > worst)) {
      worst = err;
      at = i;
      ok = false;
    }
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "element " << at << ": " << va[at] << " vs " << vb[at] << " (|diff| "
                                       << worst << ", shape " << shape_str(a.shape()) << ")";
}

/// The message of the attend::Error that f() throws, or "(no attend::Error thrown)"; use with HasSubstr.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no attend::Error thrown)";
}

/// Passes when every element is bitwise equal.
inline ::testing::AssertionResult bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return ::testing::AssertionFailure() << "shape or dtype differ";
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  const size_t bytes = static_cast<size_t>(a.numel()) * dtype_size(a.dtype());
  if (bytes == 0 || std::memcmp(ca.raw_data(), cb.raw_data(), bytes) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "tensors of shape " << shape_str(a.shape()) << " differ bitwise";
}

}  // namespace attend::testing
