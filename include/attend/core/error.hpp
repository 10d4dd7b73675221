// attend::Error and ATTEND_CHECK: how the library reports bad input.
//
// Every user error (a shape that does not fit, a file that is malformed, a flag out of range) is an attend::Error
// whose message names the op, the argument and the shapes, so the user can act on it:
//   linear: input.shape[-1] must equal in_features (expected 64, got 32); input shape [2, 7, 32]
// The library never calls exit() or abort() on user error. ATTEND_ASSERT guards internal invariants only; it also
// throws (an attend::Error that says "internal error" and where), so a bug never takes the host process down.
//
// Usage:
//   ATTEND_CHECK(a.dim() == 2, "matmul: a must be 2-D, got shape {}", shape_str(a.shape()));
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace attend {

/// The one exception type of the library. what() is a complete, user-facing sentence without a trailing newline.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
[[noreturn]] void throw_internal(const char* condition, const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace attend

/// Throws attend::Error with the fmt-formatted message when cond is false.
#define ATTEND_CHECK(cond, ...)                                \
  do {                                                         \
    if (!(cond)) [[unlikely]] {                                \
      throw ::attend::Error(::fmt::format(__VA_ARGS__));       \
    }                                                          \
  } while (false)

/// Internal invariant: a failure is a bug in attend, reported as an Error that names the file and line.
#define ATTEND_ASSERT(cond, ...)                                                                   \
  do {                                                                                             \
    if (!(cond)) [[unlikely]] {                                                                    \
      ::attend::detail::throw_internal(#cond, __FILE_NAME__, __LINE__, ::fmt::format("" __VA_ARGS__));  \
    }                                                                                              \
  } while (false)
