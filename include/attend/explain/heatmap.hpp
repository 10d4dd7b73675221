// Heatmap: one attention matrix ready to draw, the weights with the tokens that label its rows (target, the queries)
// and its columns (source, the keys), as in the alignment figures of Bahdanau et al. (2015). The picture writers
// (svg_heatmap.hpp, png_heatmap.hpp, html_heatmap.hpp) and the exports (weights_export.hpp) take it.
//
// Shapes: weights f32 (or f64) [T, S], rows.size() == T (target tokens), columns.size() == S (source tokens).
// Colour: one fixed scale for every picture, white at weight 0 to dark blue at weight 1 (heatmap_color), so two
// pictures can be compared by eye; weights outside [0, 1] are clamped, NaN is an error.
//
// Usage:
//   Heatmap map{.weights = hyp.attention, .rows = hyp.target_pieces, .columns = source_pieces, .title = "rnn"};
//   write_text_file("a.svg", svg_heatmap(map));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend::explain {

struct Heatmap {
  Tensor weights;                    ///< f32 [T, S]
  std::vector<std::string> rows;     ///< T target labels (UTF-8)
  std::vector<std::string> columns;  ///< S source labels (UTF-8)
  std::string title;                 ///< e.g. "cross, layer 2, head 0"; may be empty
};

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

/// The colour of weight w (clamped to [0, 1]): linear from white (255, 255, 255) to (8, 48, 107).
Rgb heatmap_color(double w);
/// "#rrggbb".
std::string hex_color(Rgb c);

/// Throws attend::Error, prefixed with `op`, when weights is undefined or not 2-D, T or S is 0 (nothing to draw),
/// the label counts differ from [T, S], or a weight is NaN.
void check_heatmap(const Heatmap& map, const char* op);

/// The weights as T·S doubles, row-major (after check_heatmap).
std::vector<double> heatmap_values(const Heatmap& map);

/// A label as shown in a picture: "" -> "∅", a space -> "␣", control characters -> "·", and at most `max_points`
/// code points (longer ones end with "…").
std::string display_label(const std::string& label, size_t max_points = 24);

/// At most `max_points` code points of `text` (longer ones end with "…"); for titles, where spaces stay spaces.
std::string shorten_text(const std::string& text, size_t max_points);

/// UTF-8 -> code points; a malformed byte becomes U+FFFD.
std::vector<char32_t> decode_utf8(const std::string& text);
/// Code points -> UTF-8.
std::string encode_utf8(const std::vector<char32_t>& points);

}  // namespace attend::explain
