// OptionFlags: one CLI11 option per OptionTable entry, raw text in, OptionTable::set() out.
#include "option_flags.hpp"

namespace attend::cli {

namespace {

const char* type_name(const std::string& type) {
  if (type == "int") return "INT";
  if (type == "uint") return "UINT";
  if (type == "float") return "FLOAT";
  if (type == "bool") return "[BOOL]";  // the value is optional: a bare flag means true
  return "TEXT";
}

}  // namespace

OptionFlags::OptionFlags(CLI::App& command, train::OptionTable& table) : table_(table) {
  const std::vector<train::OptionEntry>& entries = table.entries();
  flags_.reserve(entries.size());
  for (const train::OptionEntry& e : entries) {
    Flag& flag = flags_.emplace_back();
    flag.name = e.name;
    flag.is_bool = e.type == "bool";
    // The default goes into the help text rather than CLI11's default_str: for a bool with an optional value,
    // CLI11 would use default_str as the value of a bare flag.
    std::string help = e.help;
    help += e.default_value.empty() ? " (default: none)" : " (default: " + e.default_value + ")";
    flag.option = command.add_option("--" + e.name, flag.value, help)
                      ->type_name(type_name(e.type))
                      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
                      ->group(e.name.substr(0, e.name.find('.')) + " options");
    if (flag.is_bool) flag.option->expected(0, 1);
  }
}

void OptionFlags::apply() {
  for (const Flag& flag : flags_) {
    if (flag.option->count() == 0) continue;
    const std::string value = flag.is_bool && flag.value.empty() ? std::string("true") : flag.value;
    table_.set(flag.name, value, "--" + flag.name);
  }
}

std::vector<std::string> OptionFlags::given() const {
  std::vector<std::string> out;
  for (const Flag& flag : flags_) {
    if (flag.option->count() > 0) out.push_back(flag.name);
  }
  return out;
}

}  // namespace attend::cli
