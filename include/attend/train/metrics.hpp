// Validation metrics: token accuracy under teacher forcing, exact match of decoded text, and corpus BLEU computed as
// sacreBLEU 2.x does by default (Post 2018, "A Call for Clarity in Reporting BLEU Scores"; Papineni et al. 2002):
// the mteval-v13a tokenizer ("13a"), case-sensitive, n-grams up to 4, the "exp" smoothing of mteval (the k-th
// n-gram order with no match counts as a precision of 100 / (2^k · total)), the brevity penalty exp(1 - r / c) over
// the corpus, and a score of 0 when no n-gram matches at all.
// Shapes: logits [B, T, V] (f32 or f64), target [B, T] (i64).
//
// Usage:
//   TokenAccuracy acc = token_accuracy(logits, target, /*ignore_index*/ 0);    // acc.value() in [0, 1]
//   BleuScore bleu = corpus_bleu(hypotheses, references);                       // bleu.score in [0, 100]
//   fmt::print("{}\n", bleu.to_string());   // BLEU = 32.45 60.1/38.2/26.3/18.0 (BP = 1.000 ratio = 1.012 ...)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attend/tensor/tensor.hpp"

namespace attend::train {

struct TokenAccuracy {
  int64_t correct = 0, total = 0;
  /// correct / total, 0 when total is 0.
  double value() const;
  /// Adds the counts of another batch.
  void add(const TokenAccuracy& other);
};

/// Argmax over V of logits [B, T, V] (f32/f64; ties go to the lowest id, NaN counts as the largest as in
/// torch.argmax) against target i64 [B, T]; positions whose target equals ignore_index are not counted. Throws
/// attend::Error naming the argument and shapes on a shape or dtype mismatch, and naming the position when a target
/// is outside [0, V) and not ignore_index.
TokenAccuracy token_accuracy(const Tensor& logits, const Tensor& target, int64_t ignore_index);

/// Share of i with hyps[i] == refs[i], both trimmed of surrounding ASCII whitespace; 0 for empty lists. Throws
/// attend::Error naming both sizes when they differ.
double exact_match(const std::vector<std::string>& hyps, const std::vector<std::string>& refs);

/// sacreBLEU's "13a" tokenizer (mteval-v13a), exactly: removes "<skipped>" and "-\n", turns '\n' into ' ', unescapes
/// &quot; &amp; &lt; &gt; (in that order, once), splits off the ASCII punctuation and symbols
/// {|}~[\]^_`!"#$%&()*+:;<=>?@/, splits '.' and ',' unless between digits, splits '-' after a digit, and joins the
/// tokens with single spaces (splitting on every character Python's str.split() treats as whitespace).
/// Input is UTF-8; bytes that are not valid UTF-8 are kept as they are.
std::string tokenize_13a(std::string_view text);

struct BleuScore {
  double score = 0;                     ///< 0..100
  std::array<double, 4> precisions{};  ///< per n-gram order, in percent (smoothed as sacreBLEU reports them)
  double brevity_penalty = 0;
  double ratio = 0;                     ///< hyp_length / ref_length (0 when ref_length is 0)
  int64_t hyp_length = 0, ref_length = 0;
  std::array<int64_t, 4> matches{}, totals{};
  /// As sacreBLEU prints it: "BLEU = 32.45 60.1/38.2/26.3/18.0 (BP = 1.000 ratio = 1.012 hyp_len = 83 ref_len = 82)".
  std::string to_string() const;
};

/// Corpus BLEU with one reference per hypothesis, as sacrebleu.corpus_bleu(hyps, [refs]) computes it by default
/// (tokenize="13a", lowercase=False, smooth_method="exp"): each line is right-stripped and tokenized with
/// tokenize_13a. An empty corpus scores 0. Throws attend::Error when the sizes differ, and naming the line when a
/// reference is the empty string (sacreBLEU rejects those too).
BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::string>& refs);

/// Several references per hypothesis, laid out as sacreBLEU takes them: ref_streams[k][i] is the k-th reference of
/// hyps[i] (each stream as long as hyps). Clipped counts take the maximum over the references; the reference length
/// is the one closest to the hypothesis length (the shorter on a tie). Empty references of a line are skipped; a
/// line with none left is an error naming it.
BleuScore corpus_bleu_multi(const std::vector<std::string>& hyps,
                            const std::vector<std::vector<std::string>>& ref_streams);

/// BLEU from its sufficient statistics (sacreBLEU's BLEU.compute_bleu with smooth_method="exp").
BleuScore compute_bleu(const std::array<int64_t, 4>& matches, const std::array<int64_t, 4>& totals, int64_t hyp_length,
                       int64_t ref_length);

}  // namespace attend::train
