#include "attend/core/error.hpp"

namespace attend::detail {

void throw_internal(const char* condition, const char* file, int line, const std::string& message) {
  throw Error(fmt::format("internal error: {} ({}:{}: `{}` failed); please report this as a bug", message.empty() ? "invariant broken" : message,
                          file, line, condition));
}

}  // namespace attend::detail
