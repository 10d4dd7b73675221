// Batcher: from a corpus to the example indices of each mini-batch — tokenize and map to ids (encode_corpus), then cut
// batches by a token budget with length bucketing and seeded shuffling (make_batches), as Marian's and fairseq's
// token-based batching does. make_batch (batch.hpp) then pads one list of indices into tensors.
//
// Batch cost: a batch of B examples costs B · (max Ts + max Tt + 1) padded tokens (Ts, Tt: source and target lengths
// without BOS/EOS; the +1 is the BOS/EOS slot of tgt_in/tgt_out), which must stay within batch_tokens; an example over
// the budget by itself forms a batch of one. B is also capped by max_batch_size.
// Order: with shuffle, the examples are permuted from (seed, epoch) with the counter-based RNG (core/rng.hpp); with
// bucketing, each window of bucket_window consecutive examples (in that order) is sorted by (source length, target
// length), stably, before cutting, so batches hold examples of similar length and waste little padding; with
// shuffle, the batches are then permuted too. The result depends only on the lengths, the options and the epoch:
// the same on every machine and thread count.
//
// Usage:
//   auto examples = encode_corpus(corpus, *src_tok, *tgt_tok, src_vocab, tgt_vocab, /*max_length*/ 200, &report);
//   for (const auto& indices : make_batches(examples, {.batch_tokens = 4096, .seed = 7}, epoch))
//     train_step(make_batch(examples, indices));
#pragma once

#include <cstdint>
#include <vector>

#include "attend/data/batch.hpp"
#include "attend/data/corpus.hpp"
#include "attend/data/tokenizer.hpp"
#include "attend/data/vocab.hpp"

namespace attend::data {

/// Tokenizes both sides of every example and maps the pieces to ids. An example with more than max_length pieces on
/// either side (max_length 0: no limit) is skipped: report->too_long and report->skipped get it (reason
/// "too long (312 > 200 tokens)", the longer side's count), and report->kept loses it. An example that tokenizes to
/// no piece on a side is skipped the same way as "empty source/target after tokenization". `report` is usually a copy
/// of corpus.report (nullptr: not recorded). Throws naming the sizes when corpus.src and corpus.tgt differ in length,
/// and when max_length < 0.
std::vector<EncodedExample> encode_corpus(const ParallelCorpus& corpus, const Tokenizer& src_tokenizer,
                                          const Tokenizer& tgt_tokenizer, const Vocab& src_vocab,
                                          const Vocab& tgt_vocab, int64_t max_length, CorpusReport* report);

struct BatchingOptions {
  int64_t batch_tokens = 4096;   ///< padded tokens per batch at most (see the file comment)
  int64_t max_batch_size = 256;  ///< examples per batch at most
  bool bucketing = true;         ///< sort by length within windows before cutting
  bool shuffle = true;           ///< permute examples and batches from (seed, epoch)
  uint64_t seed = 1;
  int64_t bucket_window = 0;     ///< examples sorted together when bucketing (0: 100 · max_batch_size)
};

/// The example indices of each batch, every index of `examples` exactly once. Throws naming the option when
/// batch_tokens, max_batch_size or epoch is out of range (batch_tokens, max_batch_size >= 1; bucket_window, epoch
/// >= 0).
std::vector<std::vector<int64_t>> make_batches(const std::vector<EncodedExample>& examples,
                                               const BatchingOptions& options, int64_t epoch);

}  // namespace attend::data
