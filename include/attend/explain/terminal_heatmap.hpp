// Terminal heatmap: attention weights drawn with shaded Unicode blocks (and 256-colour backgrounds on a terminal),
// one row per target token, one column per source token, as in the alignment figures of Bahdanau et al. (2015).
//
// Each cell is two characters wide; the shade is the weight on a fixed [0, 1] scale (" ", "░", "▒", "▓", "█" at
// 0, 0.125, 0.375, 0.625, 0.875); with colour, the cell's background is a grey level from the 24-step ramp instead.
// Source labels are written vertically above their columns (one code point per line), target labels at the left.
// Shapes: weights f32/f64 [T, S] with rows.size() == T and columns.size() == S; an empty T or S draws "(empty)".
//
// Usage:
//   std::string art = terminal_heatmap(hyp.attention, hyp.target_pieces, source_pieces, /*color=*/true);
//   fmt::print("{}", art);
#pragma once

#include <string>
#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend::explain {

/// Throws attend::Error naming both sizes when the labels do not match the weights' shape, or weights is not 2-D.
std::string terminal_heatmap(const Tensor& weights, const std::vector<std::string>& rows,
                             const std::vector<std::string>& columns, bool color);

}  // namespace attend::explain
