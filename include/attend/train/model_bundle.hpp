// ModelBundle: a trained model with everything needed to use it on text: the effective configuration, the source and
// target tokenizers and vocabularies, and the TranslationModel. A checkpoint stores a bundle (checkpoint.hpp's
// metadata "config", "src_tokenizer", "tgt_tokenizer", "src_vocab", "tgt_vocab" and the model's tensors), so
// `attend translate`, `attend eval`, `attend info` and `attend explain` rebuild it from one file.
//
// Usage:
//   ModelBundle b = load_bundle("run/best.safetensors");
//   std::vector<int64_t> ids = b.encode_source("24 Nov 2026");      // token ids, no BOS/EOS
//   std::string text = b.decode_target(ids_out);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attend/data/tokenizer.hpp"
#include "attend/data/vocab.hpp"
#include "attend/train/checkpoint.hpp"
#include "attend/train/config.hpp"
#include "attend/train/translation_model.hpp"

namespace attend::train {

struct ModelBundle {
  TrainConfig config;
  std::shared_ptr<data::Tokenizer> src_tokenizer, tgt_tokenizer;
  data::Vocab src_vocab, tgt_vocab;
  std::shared_ptr<TranslationModel> model;

  /// Text -> source token ids (unknown tokens -> <unk>).
  std::vector<int64_t> encode_source(const std::string& text) const;
  std::vector<int64_t> encode_target(const std::string& text) const;
  /// Source pieces as the tokenizer cut them (labels of attention pictures).
  std::vector<std::string> source_pieces(const std::string& text) const;
  /// Target ids (without BOS; stops at EOS) -> text.
  std::string decode_target(const std::vector<int64_t>& ids) const;
  /// Target ids -> one label per id ("</s>" for EOS).
  std::vector<std::string> target_pieces(const std::vector<int64_t>& ids) const;
  /// The metadata that describes this bundle inside a checkpoint (config YAML, tokenizers, vocabularies).
  std::map<std::string, std::string> metadata() const;
};

/// Reads the checkpoint at `path` and rebuilds its bundle in eval mode. Throws attend::Error naming the file and the
/// part that is missing or malformed. The checkpoint itself is returned through `checkpoint` when given.
ModelBundle load_bundle(const std::string& path, Checkpoint* checkpoint = nullptr);
/// Rebuilds a bundle from a checkpoint already in memory (`source` names it in errors).
ModelBundle bundle_from_checkpoint(const Checkpoint& checkpoint, const std::string& source);

}  // namespace attend::train
