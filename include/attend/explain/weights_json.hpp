// JSON lines export of attention weights: one object per Heatmap (heatmap.hpp) on one line, with the raw tokens
// (not the display forms of the pictures):
//   {"title": "...", <extra fields>, "source": ["2", "4", ...], "target": ["2", "0", ..., "</s>"],
//    "weights": [[w_00, w_01, ...], ...]}          weights: T rows of S numbers, rows = target, columns = source
// Invalid UTF-8 in a token becomes U+FFFD. Python: [json.loads(l) for l in open("a.jsonl")].
//
// Usage:
//   text += weights_json_line(map, {{"kind", "rnn"}, {"head", "mean"}});
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "attend/explain/heatmap.hpp"

namespace attend::explain {

/// One line, '\n' included. `fields` are extra string members written after "title" in the given order. Throws
/// attend::Error as check_heatmap("weights_json_line") does.
std::string weights_json_line(const Heatmap& map, const std::vector<std::pair<std::string, std::string>>& fields = {});

}  // namespace attend::explain
