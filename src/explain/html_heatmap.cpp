// HTML heatmap (see the header).
#include "attend/explain/html_heatmap.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

#include "attend/core/error.hpp"
#include "attend/explain/svg_heatmap.hpp"

namespace attend::explain {
namespace {

/// JSON safe inside <script>: '<', '>' and '&' only occur inside strings, where \u escapes mean the same.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", "WenQuanYi Micro Hei", sans-serif; font-size: 13px; margin: 16px; color: #111; }
h1 { font-size: 16px; }
table.heatmap { border-collapse: collapse; }
table.heatmap td.cell { width: 22px; height: 22px; border: 1px solid #d0d0d0; padding: 0; }
table.heatmap td.cell:hover { outline: 2px solid #e6550d; }
table.heatmap th.row { text-align: right; padding-right: 6px; font-weight: normal; white-space: nowrap; }
table.heatmap th.col { vertical-align: bottom; font-weight: normal; padding-bottom: 6px; }
table.heatmap th.col span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
#tip { position: fixed; display: none; background: #222; color: #fff; padding: 3px 6px; border-radius: 3px;
       pointer-events: none; white-space: nowrap; }
.panel-title { font-weight: bold; margin: 8px 0; }
)";

constexpr const char* kScript = R"(
(function () {
  const data = JSON.parse(document.getElementById('attend-data').textContent);
  const root = document.getElementById('panels');
  const select = document.getElementById('panel');
  const tip = document.getElementById('tip');
  const mix = (lo, v) => Math.round(255 + (lo - 255) * v);
  const colour = (w) => { const v = Math.min(1, Math.max(0, w)); return `rgb(${mix(8, v)}, ${mix(48, v)}, ${mix(107, v)})`; };
  data.panels.forEach((p, i) => {
    const div = document.createElement('div');
    div.className = 'panel';
    div.dataset.panel = String(i);
    div.hidden = i !== 0;
    const title = document.createElement('div');
    title.className = 'panel-title';
    title.textContent = p.title;
    div.appendChild(title);
    const table = document.createElement('table');
    table.className = 'heatmap';
    const head = table.insertRow();
    head.appendChild(document.createElement('th'));
    p.columns.forEach((c) => {
      const th = document.createElement('th');
      th.className = 'col';
      th.dir = 'auto';
      const span = document.createElement('span');
      span.textContent = c;
      th.appendChild(span);
      head.appendChild(th);
    });
    p.rows.forEach((r, t) => {
      const tr = table.insertRow();
      const th = document.createElement('th');
      th.className = 'row';
      th.dir = 'auto';
      th.textContent = r;
      tr.appendChild(th);
      p.columns.forEach((c, s) => {
        const w = p.weights[t][s];
        const td = document.createElement('td');
        td.className = 'cell';
        td.dataset.w = w.toFixed(3);
        td.style.background = colour(w);
        td.addEventListener('mousemove', (e) => {
          tip.textContent = `${r} \u2192 ${c}: ${w.toFixed(3)}`;
          tip.style.display = 'block';
          tip.style.left = (e.clientX + 12) + 'px';
          tip.style.top = (e.clientY + 12) + 'px';
        });
        td.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
        tr.appendChild(td);
      });
    });
    div.appendChild(table);
    root.appendChild(div);
    const option = document.createElement('option');
    option.value = String(i);
    option.textContent = p.title;
    select.appendChild(option);
  });
  select.hidden = data.panels.length < 2;
  select.addEventListener('change', () => {
    root.querySelectorAll('.panel').forEach((d) => { d.hidden = d.dataset.panel !== select.value; });
  });
  document.body.dataset.ready = 'yes';
})();
)";

}  // namespace

std::string html_heatmap(const std::vector<Heatmap>& panels, const std::string& page_title) {
  ATTEND_CHECK(!panels.empty(), "html_heatmap: no panels to draw");
  nlohmann::json data;
  data["panels"] = nlohmann::json::array();
  for (size_t i = 0; i < panels.size(); ++i) {
    const Heatmap& m = panels[i];
    check_heatmap(m, "html_heatmap");
    nlohmann::json p;
    p["title"] = m.title.empty() ? "panel " + std::to_string(i) : m.title;
    p["rows"] = nlohmann::json::array();
    p["columns"] = nlohmann::json::array();
    for (const auto& r : m.rows) p["rows"].push_back(display_label(r));
    for (const auto& c : m.columns) p["columns"].push_back(display_label(c));
    const std::vector<double> w = heatmap_values(m);
    const size_t S = m.columns.size();
    nlohmann::json rows = nlohmann::json::array();
    for (size_t t = 0; t < m.rows.size(); ++t) {
      nlohmann::json row = nlohmann::json::array();
      for (size_t s = 0; s < S; ++s) row.push_back(std::round(w[t * S + s] * 1e6) / 1e6);  // 6 decimals: enough to draw
      rows.push_back(std::move(row));
    }
    p["weights"] = std::move(rows);
    data["panels"].push_back(std::move(p));
  }
  const std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  out += xml_escape(page_title);
  out += "</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n<h1>";
  out += xml_escape(page_title);
  out += "</h1>\n<noscript>This page draws its heatmaps with JavaScript.</noscript>\n"
         "<label><select id=\"panel\" aria-label=\"layer and head\"></select></label>\n"
         "<div id=\"panels\"></div>\n<div id=\"tip\"></div>\n"
         "<script type=\"application/json\" id=\"attend-data\">";
  out += script_safe(json);
  out += "</script>\n<script>";
  out += kScript;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace attend::explain
