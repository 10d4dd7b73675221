// The demo's attention pictures and alignment accuracy (see demo_attention.hpp).
#include "demo_attention.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "attend/core/error.hpp"
#include "attend/explain/heatmap.hpp"
#include "attend/explain/html_heatmap.hpp"
#include "attend/explain/png_heatmap.hpp"
#include "attend/explain/svg_heatmap.hpp"
#include "attend/io/text_file.hpp"

namespace attend::cli {
namespace {

/// The date field (0 day, 1 month, 2 year) of ISO position p, or -1 for a separator or a position past the date.
int field_of(size_t p) {
  if (p < 4) return 2;
  if (p == 5 || p == 6) return 1;
  if (p == 8 || p == 9) return 0;
  return -1;
}

}  // namespace

AlignmentAccuracy alignment_accuracy(train::ModelBundle& bundle, const std::vector<data::DateExample>& examples) {
  std::vector<std::string> sources;
  for (const auto& e : examples) sources.push_back(e.source);
  const std::vector<train::Translations> out = train::translate(bundle, sources, {});
  AlignmentAccuracy r;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].hypotheses.empty()) continue;
    ++r.examples;
    const train::TranslatedHypothesis& h = out[i].hypotheses.front();
    const int64_t S = h.attention.shape()[1];
    ATTEND_CHECK(S == static_cast<int64_t>(explain::decode_utf8(examples[i].source).size()),
                 "demo: alignment_accuracy needs one source piece per code point; '{}' has {} pieces",
                 examples[i].source, S);
    const std::vector<float> w = h.attention.to(DType::f32).contiguous().to_vector<float>();
    for (size_t p = 0; p < h.target_pieces.size(); ++p) {
      const std::string& piece = h.target_pieces[p];
      const int field = field_of(p);
      if (field < 0 || piece.size() != 1 || piece[0] < '0' || piece[0] > '9') continue;
      const float* row = w.data() + static_cast<int64_t>(p) * S;
      const auto strongest = static_cast<int64_t>(std::max_element(row, row + S) - row);
      const auto [begin, end] = examples[i].spans.field[static_cast<size_t>(field)];
      ++r.digits;
      r.hits += strongest >= begin && strongest < end ? 1 : 0;
    }
  }
  r.accuracy = r.digits == 0 ? 0.0 : static_cast<double>(r.hits) / static_cast<double>(r.digits);
  return r;
}

std::vector<std::string> write_sample_pictures(const std::string& dir, const std::vector<train::Translations>& samples) {
  std::vector<explain::Heatmap> panels;
  std::vector<std::string> written;
  for (const auto& t : samples) {
    if (t.hypotheses.empty()) continue;
    const auto& h = t.hypotheses.front();
    explain::Heatmap map{h.attention, h.target_pieces, t.source_pieces, fmt::format("{}  ->  {}", t.source, h.text)};
    const std::string stem = fmt::format("{}/attention-{}", dir, panels.size());
    explain::write_png_heatmap(stem + ".png", map);
    write_text_file(stem + ".svg", explain::svg_heatmap(map));
    written.push_back(stem + ".png");
    written.push_back(stem + ".svg");
    panels.push_back(std::move(map));
  }
  if (!panels.empty()) {
    write_text_file(dir + "/attention.html", explain::html_heatmap(panels, "attend demo: attention of the samples"));
    written.push_back(dir + "/attention.html");
  }
  return written;
}

}  // namespace attend::cli
