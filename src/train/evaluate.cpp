// evaluate: teacher-forced loss and accuracy, decoded exact match and BLEU (see the header).
#include "attend/train/evaluate.hpp"

#include "attend/core/error.hpp"
#include "attend/data/batcher.hpp"
#include "attend/decode/search.hpp"
#include "attend/ops/loss.hpp"
#include "attend/train/metrics.hpp"

namespace attend::train {

double ValidationResult::get(const std::string& metric) const {
  if (metric == "loss") return loss;
  if (metric == "token_accuracy") return token_accuracy;
  if (metric == "exact_match") return exact_match;
  if (metric == "bleu") return bleu;
  ATTEND_CHECK(false, "metric must be one of loss, token_accuracy, exact_match, bleu; got '{}'", metric);
  return 0;
}

ValidationResult evaluate(ModelBundle& bundle, const std::vector<data::EncodedExample>& examples,
                          const std::vector<std::string>& references, const EvaluateOptions& options) {
  ATTEND_CHECK(examples.size() == references.size(),
               "evaluate: {} examples but {} references: they must be row by row", examples.size(),
               references.size());
  ValidationResult r;
  if (examples.empty()) return r;
  NoGradGuard no_grad;
  bundle.model->module().eval();
  auto batches = data::make_batches(examples,
                                    {.batch_tokens = options.batch_tokens, .max_batch_size = options.max_batch_size,
                                     .bucketing = true, .shuffle = false, .seed = 0},
                                    0);
  double loss_sum = 0;
  TokenAccuracy accuracy;
  r.hypotheses.resize(examples.size());
  auto decoder = bundle.model->decoding();
  decode::SearchOptions search;
  search.beam_size = options.beam_size;
  for (const auto& indices : batches) {
    data::Batch batch = data::make_batch(examples, indices);
    ModelOutput out = bundle.model->forward(batch);
    Var l = cross_entropy(out.logits, batch.tgt_out, {.ignore_index = data::kPadId, .reduction = Reduction::sum});
    loss_sum += l.value().item<double>();
    r.target_tokens += batch.target_tokens;
    accuracy.add(token_accuracy(out.logits.value(), batch.tgt_out, data::kPadId));
    auto found = decode::search(*decoder, batch.src, batch.src_lengths, search);
    for (size_t i = 0; i < indices.size(); ++i) {
      r.hypotheses[static_cast<size_t>(indices[i])] =
          found[i].empty() ? std::string() : bundle.decode_target(found[i][0].tokens);
    }
  }
  r.loss = loss_sum / static_cast<double>(std::max<int64_t>(1, r.target_tokens));
  r.token_accuracy = accuracy.value();
  r.exact_match = exact_match(r.hypotheses, references);
  r.bleu = corpus_bleu(r.hypotheses, references).score;
  r.sentences = static_cast<int64_t>(examples.size());
  return r;
}

}  // namespace attend::train
