// Terminal heatmap (see the header).
#include "attend/explain/terminal_heatmap.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "attend/core/error.hpp"
#include "attend/core/shape.hpp"

namespace attend::explain {
namespace {

/// Splits UTF-8 text into code points (bytes of a malformed sequence are taken one by one).
std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

/// What to show for a label: spaces and control characters made visible.
std::string visible(const std::string& label) {
  if (label.empty()) return "∅";
  std::string out;
  for (const std::string& cp : code_points(label)) {
    if (cp == " ") out += "␣";
    else if (cp == "\t") out += "⇥";
    else if (cp.size() == 1 && static_cast<unsigned char>(cp[0]) < 0x20) out += "·";
    else out += cp;
  }
  return out;
}

const char* shade(double w) {
  if (w >= 0.875) return "██";
  if (w >= 0.625) return "▓▓";
  if (w >= 0.375) return "▒▒";
  if (w >= 0.125) return "░░";
  return "  ";
}

}  // namespace

std::string terminal_heatmap(const Tensor& weights, const std::vector<std::string>& rows,
                             const std::vector<std::string>& columns, bool color) {
  ATTEND_CHECK(weights.dim() == 2, "terminal_heatmap: weights must be 2-D [T, S], got shape {}",
               shape_str(weights.shape()));
  const int64_t T = weights.shape()[0], S = weights.shape()[1];
  ATTEND_CHECK(static_cast<int64_t>(rows.size()) == T && static_cast<int64_t>(columns.size()) == S,
               "terminal_heatmap: {} row labels and {} column labels for weights of shape {}", rows.size(),
               columns.size(), shape_str(weights.shape()));
  if (T == 0 || S == 0) return "(empty)\n";
  std::vector<std::string> row_labels;
  size_t width = 0;
  for (const auto& r : rows) {
    row_labels.push_back(visible(r));
    width = std::max(width, code_points(row_labels.back()).size());
  }
  std::vector<std::vector<std::string>> col_labels;
  size_t height = 0;
  for (const auto& c : columns) {
    col_labels.push_back(code_points(visible(c)));
    height = std::max(height, col_labels.back().size());
  }
  std::string out;
  for (size_t line = 0; line < height; ++line) {  // vertical source labels
    out += std::string(width + 1, ' ');
    for (const auto& label : col_labels) out += (line < label.size() ? label[line] : std::string(" ")) + " ";
    out += "\n";
  }
  const Tensor w = weights.to(DType::f64).contiguous();
  const double* p = w.data<double>();
  for (int64_t t = 0; t < T; ++t) {
    const std::string& label = row_labels[static_cast<size_t>(t)];
    out += std::string(width - code_points(label).size(), ' ') + label + " ";
    for (int64_t s = 0; s < S; ++s) {
      const double v = std::clamp(p[t * S + s], 0.0, 1.0);
      if (color) {
        const int grey = 232 + static_cast<int>(v * 23.0 + 0.5);  // 24-step ramp, 232 black .. 255 white
        out += fmt::format("\x1b[48;5;{}m  \x1b[0m", grey);
      } else {
        out += shade(v);
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace attend::explain
