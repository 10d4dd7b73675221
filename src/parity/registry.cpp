// The parity module registry: module name -> runner. The built-in runners are added on first use, so they are
// present whether libattend is shared or static (no static-initialiser registration to be dropped by the linker).
#include <mutex>

#include "attend/parity/parity.hpp"
#include "builtin_runners.hpp"

namespace attend::parity {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, ParityRunner> runners;
};

Registry& registry() {
  static Registry* r = [] {
    auto* out = new Registry();  // never destroyed: runners may be looked up during static destruction
    register_nn_runners(out->runners);
    register_attention_runners(out->runners);
    register_multi_head_attention_runners(out->runners);
    register_transformer_runners(out->runners);
    register_rnn_runners(out->runners);
    register_decoder_runners(out->runners);
    return out;
  }();
  return *r;
}

}  // namespace

void register_parity_module(const std::string& module, ParityRunner runner) {
  ATTEND_CHECK(!module.empty() && runner != nullptr, "register_parity_module: a name and a runner are required");
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.runners[module] = std::move(runner);
}

std::vector<std::string> parity_modules() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> out;
  for (const auto& [name, runner] : r.runners) out.push_back(name);
  return out;
}

ParityRunner find_parity_runner(const std::string& module) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.runners.find(module);
  if (it == r.runners.end()) {
    std::string known;
    for (const auto& [name, runner] : r.runners) known += (known.empty() ? "" : ", ") + name;
    throw ParityError(ErrorKind::unsupported,
                      fmt::format("unknown module \"{}\" (supported: {})", module, known));
  }
  return it->second;
}

}  // namespace attend::parity
