#include "attend/ops/registry.hpp"

#include <algorithm>
#include <mutex>

namespace attend {

namespace {
std::vector<std::string>& names() {
  static std::vector<std::string> list;
  return list;
}
std::mutex& names_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

OpRegistrar::OpRegistrar(const char* name) {
  std::lock_guard lock(names_mutex());
  names().emplace_back(name);
}

std::vector<std::string> differentiable_ops() {
  std::lock_guard lock(names_mutex());
  std::vector<std::string> out = names();
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace attend
