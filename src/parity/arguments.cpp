// Arguments: typed, use-tracked access to a fixture's kwargs/call JSON object.
#include "attend/parity/arguments.hpp"

#include <fmt/ranges.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "attend/parity/parity.hpp"

namespace attend::parity {

struct Arguments::Json {
  nlohmann::json value = nlohmann::json::object();
};

Arguments::Arguments(std::string what) : what_(std::move(what)), json_(std::make_shared<Json>()) {}

Arguments Arguments::parse(const std::string& json_text, const std::string& what) {
  Arguments out(what);
  auto json = std::make_shared<Json>();
  try {
    json->value = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw ParityError(ErrorKind::bad_metadata, fmt::format("metadata '{}' is not valid JSON: {}", what, e.what()));
  }
  if (!json->value.is_object()) {
    throw ParityError(ErrorKind::bad_metadata,
                      fmt::format("metadata '{}' must be a JSON object, got {}", what, json_text));
  }
  out.json_ = std::move(json);
  return out;
}

bool Arguments::has(const std::string& key) const {
  auto it = json_->value.find(key);
  return it != json_->value.end() && !it->is_null();
}

const Arguments::Json& Arguments::at(const std::string& key, const char* expected) const {
  if (!has(key)) {
    throw ParityError(ErrorKind::bad_metadata, fmt::format("{}.{} is required ({})", what_, key, expected));
  }
  used_.insert(key);
  return *json_;
}

namespace {
[[noreturn]] void wrong_type(const std::string& what, const std::string& key, const char* expected,
                             const nlohmann::json& got) {
  throw ParityError(ErrorKind::bad_metadata, fmt::format("{}.{}: expected {}, got {}", what, key, expected, got.dump()));
}

bool as_int(const nlohmann::json& v, int64_t& out) {
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_float()) {  // 4.0 written by a generator that does not keep int types
    const double d = v.get<double>();
    if (std::trunc(d) != d || std::abs(d) > 9.0e15) return false;
    out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}
}  // namespace

int64_t Arguments::get_int(const std::string& key) const {
  const auto& v = at(key, "an integer").value.at(key);
  int64_t out = 0;
  if (!as_int(v, out)) wrong_type(what_, key, "an integer", v);
  return out;
}

int64_t Arguments::get_int(const std::string& key, int64_t fallback) const {
  used_.insert(key);
  return has(key) ? get_int(key) : fallback;
}

double Arguments::get_double(const std::string& key, double fallback) const {
  used_.insert(key);
  if (!has(key)) return fallback;
  const auto& v = json_->value.at(key);
  if (!v.is_number()) wrong_type(what_, key, "a number", v);
  return v.get<double>();
}

bool Arguments::get_bool(const std::string& key, bool fallback) const {
  used_.insert(key);
  if (!has(key)) return fallback;
  const auto& v = json_->value.at(key);
  if (!v.is_boolean()) wrong_type(what_, key, "true or false", v);
  return v.get<bool>();
}

std::string Arguments::get_string(const std::string& key, const std::string& fallback) const {
  used_.insert(key);
  if (!has(key)) return fallback;
  const auto& v = json_->value.at(key);
  if (!v.is_string()) wrong_type(what_, key, "a string", v);
  return v.get<std::string>();
}

std::vector<int64_t> Arguments::get_int_list(const std::string& key) const {
  const auto& v = at(key, "an integer or a list of integers").value.at(key);
  std::vector<int64_t> out;
  int64_t one = 0;
  if (as_int(v, one)) return {one};
  if (!v.is_array()) wrong_type(what_, key, "an integer or a list of integers", v);
  for (const auto& item : v) {
    if (!as_int(item, one)) wrong_type(what_, key, "a list of integers", v);
    out.push_back(one);
  }
  return out;
}

void Arguments::ignore(const std::string& key) const { used_.insert(key); }

void Arguments::check_all_used(const std::string& module) const {
  std::vector<std::string> unused;
  for (const auto& [key, value] : json_->value.items()) {
    if (!used_.contains(key) && !value.is_null()) unused.push_back(fmt::format("{}={}", key, value.dump()));
  }
  if (!unused.empty()) {
    throw ParityError(ErrorKind::unsupported, fmt::format("{} {} not supported by attend's {} runner: {}", what_,
                                                          unused.size() == 1 ? "is" : "are", module,
                                                          fmt::join(unused, ", ")));
  }
}

std::string Arguments::dump() const { return json_->value.dump(); }

}  // namespace attend::parity
