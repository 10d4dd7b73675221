// ModelBundle: build from and describe into checkpoint metadata (see the header).
#include "attend/train/model_bundle.hpp"

#include "attend/core/error.hpp"
#include "attend/train/option_table.hpp"

namespace attend::train {

std::vector<int64_t> ModelBundle::encode_source(const std::string& text) const {
  return src_vocab.encode(src_tokenizer->encode(text));
}

std::vector<int64_t> ModelBundle::encode_target(const std::string& text) const {
  return tgt_vocab.encode(tgt_tokenizer->encode(text));
}

std::vector<std::string> ModelBundle::source_pieces(const std::string& text) const {
  return src_tokenizer->encode(text);
}

std::string ModelBundle::decode_target(const std::vector<int64_t>& ids) const {
  return tgt_tokenizer->decode(tgt_vocab.decode(ids));
}

std::vector<std::string> ModelBundle::target_pieces(const std::vector<int64_t>& ids) const {
  std::vector<std::string> pieces;
  pieces.reserve(ids.size());
  for (int64_t id : ids) pieces.push_back(tgt_vocab.token(id));
  return pieces;
}

std::map<std::string, std::string> ModelBundle::metadata() const {
  TrainConfig copy = config;
  return {{"config", train_option_table(copy).to_yaml()},
          {"src_tokenizer", src_tokenizer->to_json()},
          {"tgt_tokenizer", tgt_tokenizer->to_json()},
          {"src_vocab", src_vocab.to_json()},
          {"tgt_vocab", tgt_vocab.to_json()}};
}

ModelBundle bundle_from_checkpoint(const Checkpoint& checkpoint, const std::string& source) {
  auto part = [&](const char* key) -> const std::string& {
    auto it = checkpoint.metadata.find(key);
    ATTEND_CHECK(it != checkpoint.metadata.end(), "{}: not a model checkpoint: metadata '{}' is missing", source, key);
    return it->second;
  };
  ModelBundle b;
  try {
    train_option_table(b.config).read_yaml(part("config"), source + " (metadata 'config')");
    validate(b.config, /*need_data=*/false);
    b.src_tokenizer = data::tokenizer_from_json(part("src_tokenizer"));
    b.tgt_tokenizer = data::tokenizer_from_json(part("tgt_tokenizer"));
    b.src_vocab = data::Vocab::from_json(part("src_vocab"));
    b.tgt_vocab = data::Vocab::from_json(part("tgt_vocab"));
    b.model = TranslationModel::create(b.config.model, b.src_vocab.size(), b.tgt_vocab.size(), b.config.train.seed);
    b.model->module().load_state_dict(checkpoint.model);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: cannot rebuild the model: {}", source, e.what()));
  }
  b.model->module().eval();
  return b;
}

ModelBundle load_bundle(const std::string& path, Checkpoint* checkpoint) {
  Checkpoint c = load_checkpoint(path);
  ModelBundle b = bundle_from_checkpoint(c, path);
  if (checkpoint) *checkpoint = std::move(c);
  return b;
}

}  // namespace attend::train
