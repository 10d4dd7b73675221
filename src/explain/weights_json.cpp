// JSON lines export (see the header).
#include "attend/explain/weights_json.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <string>

namespace attend::explain {

std::string weights_json_line(const Heatmap& map, const std::vector<std::pair<std::string, std::string>>& fields) {
  check_heatmap(map, "weights_json_line");
  nlohmann::ordered_json j;
  j["title"] = map.title;
  for (const auto& [key, value] : fields) j[key] = value;
  j["source"] = map.columns;
  j["target"] = map.rows;
  const std::vector<float> w = map.weights.to(DType::f32).contiguous().to_vector<float>();
  const size_t S = map.columns.size();
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (size_t t = 0; t < map.rows.size(); ++t) {
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (size_t s = 0; s < S; ++s) row.push_back(std::stod(fmt::format("{}", w[t * S + s])));  // f32's shortest round trip, "0.7"
    rows.push_back(std::move(row));
  }
  j["weights"] = std::move(rows);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace attend::explain
