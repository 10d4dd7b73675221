// Hard alignments from attention weights, in the Pharaoh format of Moses and fast_align ("0-0 1-2 2-1": source
// index, '-', target index, 0-based), and their quality against a reference: the alignment error rate of Och & Ney
// (2003, "A Systematic Comparison of Various Statistical Alignment Models").
//
// From weights [T, S] (row t: how target token t attends over the source):
//   argmax     one link per target row, to its strongest source position (the lowest index on ties);
//   threshold  every (s, t) with weight ≥ threshold.
// A reference has sure links S ("s-t") and possible links P ("s?t" or "s p t" written "spt", e.g. "3p4"), S ⊆ P.
// For a hypothesis A:  precision = |A ∩ P| / |A|,  recall = |A ∩ S| / |S|,
//                      AER = 1 − (|A ∩ S| + |A ∩ P|) / (|A| + |S|);
// with only sure links AER = 1 − F1.
//
// Usage:
//   Alignment a = argmax_alignment(hyp.attention.narrow(0, 0, T));        // drop the EOS row first
//   std::string line = to_pharaoh(a);                                     // "0-0 1-2 2-1"
//   AlignmentScores q = alignment_error_rate(a, parse_pharaoh("0-0 1-2 2p1"));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend::explain {

struct AlignmentLink {
  int64_t source = 0;
  int64_t target = 0;
  bool sure = true;  ///< false: a possible link (references only)
  auto operator<=>(const AlignmentLink&) const = default;
};

/// Links sorted by (source, target), no duplicates.
using Alignment = std::vector<AlignmentLink>;

/// Throws attend::Error naming the shape when weights is not 2-D.
Alignment argmax_alignment(const Tensor& weights);
/// Throws when weights is not 2-D or threshold is not in (0, 1].
Alignment threshold_alignment(const Tensor& weights, double threshold);

/// "s-t s-t ..." (possible links as "s?t"), sorted; "" for no links.
std::string to_pharaoh(const Alignment& alignment);
/// Parses "0-0 1-2 3?4 5p6" (any whitespace between links). Throws attend::Error naming the token, its position
/// (1-based) and what was expected for a malformed link, a negative or overflowing index, or a repeated link.
Alignment parse_pharaoh(const std::string& text);

struct AlignmentScores {
  double precision = 0, recall = 0, aer = 0;
  int64_t hypothesis_links = 0, sure_links = 0, possible_links = 0;
};

/// AER of `hypothesis` (its sure flags are ignored) against `reference`. An empty hypothesis has precision 0; an
/// empty reference has recall 0; both empty: AER 0. Possible links of the reference include its sure ones.
AlignmentScores alignment_error_rate(const Alignment& hypothesis, const Alignment& reference);

}  // namespace attend::explain
