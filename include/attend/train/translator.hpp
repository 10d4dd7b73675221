// Translator: text in, translations out, through a ModelBundle and greedy or beam search (decode/search.hpp), in
// batches of sources sorted by length (results come back in input order). Each hypothesis keeps its attention, with
// the source and target pieces that label its rows and columns, for pictures and alignments.
//
// Usage:
//   std::vector<Translations> out = translate(bundle, {"24 Nov 2026", "11/24/26"}, {.beam_size = 4, .nbest = 2});
//   out[0].hypotheses[0].text == "2026-11-24";   out[0].hypotheses[0].attention   // [Tt + 1, Ts]
#pragma once

#include <string>
#include <vector>

#include "attend/decode/search.hpp"
#include "attend/train/model_bundle.hpp"

namespace attend::train {

struct TranslatedHypothesis {
  std::string text;
  std::vector<std::string> target_pieces;  ///< one per produced token, "</s>" last when finished
  double score = 0;
  double log_prob = 0;
  Tensor attention;  ///< f32 [target_pieces.size(), source_pieces.size()]
  nn::CapturedAttention captured;  ///< options.capture's weights (decode::Hypothesis::captured)
};

struct Translations {
  std::string source;
  std::vector<std::string> source_pieces;
  std::vector<TranslatedHypothesis> hypotheses;  ///< best first; empty for an empty source
};

/// Decodes `sources` in batches of at most `batch_size`. An empty (or all-whitespace) source gives no hypotheses.
std::vector<Translations> translate(ModelBundle& bundle, const std::vector<std::string>& sources,
                                    const decode::SearchOptions& options, int64_t batch_size = 64);

}  // namespace attend::train
