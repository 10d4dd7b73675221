// The demo's attention report: heatmap pictures of its sample translations, and alignment_accuracy, the share of
// output digits whose strongest attention falls inside the source span of the date field they came from.
#pragma once

#include <string>
#include <vector>

#include "attend/data/date_corpus.hpp"
#include "attend/train/model_bundle.hpp"
#include "attend/train/translator.hpp"

namespace attend::cli {

struct AlignmentAccuracy {
  double accuracy = 0;   ///< hits / digits, in [0, 1] (0 when no digit could be checked)
  int64_t digits = 0;    ///< output digits checked
  int64_t hits = 0;      ///< of them, attending most strongly inside their field's span
  int64_t examples = 0;  ///< examples decoded
};

/// Greedy-decodes `examples` and checks every digit of each output at the positions of the ISO layout YYYY-MM-DD
/// (0-3 year, 5-6 month, 8-9 day): its attention row's argmax (lowest index on ties) must lie in the example's
/// span of that field (data::DateSpans, code points = the character tokenizer's pieces). Throws when the bundle's
/// source pieces are not one per code point (a non-character tokenizer).
AlignmentAccuracy alignment_accuracy(train::ModelBundle& bundle, const std::vector<data::DateExample>& examples);

/// Writes DIR/attention-<i>.png and .svg for each translation's best hypothesis, and DIR/attention.html with all of
/// them as panels; returns the paths written.
std::vector<std::string> write_sample_pictures(const std::string& dir, const std::vector<train::Translations>& samples);

}  // namespace attend::cli
