// HTML heatmap: a self-contained page (no network, no external files) showing one or more Heatmaps, typically one
// per (layer, head). The weights and labels travel inside the page as JSON; a small script builds one <table> per
// panel (<th class="col"> source labels, <th class="row"> target labels, <td class="cell"> weights coloured with
// heatmap_color's scale), a <select id="panel"> switches between panels when there are several, and hovering a cell
// shows "target → source: 0.123" in a tooltip. Labels are inserted as text (never as markup); the JSON is escaped so
// that no label can close the <script> element. dir="auto" lets the browser lay out right-to-left labels.
//
// Usage:
//   write_text_file("attention.html", html_heatmap({layer0_head0, layer0_head1}, "24 Nov 2026 -> 2026-11-24"));
#pragma once

#include <string>
#include <vector>

#include "attend/explain/heatmap.hpp"

namespace attend::explain {

/// Throws attend::Error when `panels` is empty or a panel fails check_heatmap("html_heatmap").
std::string html_heatmap(const std::vector<Heatmap>& panels, const std::string& page_title);

}  // namespace attend::explain
