// OptionTable: typed options bound to config fields; strict text parsing, YAML in and out (yaml-cpp), and
// "did you mean" hints for misspelled names.
#include "attend/train/option_table.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "attend/core/error.hpp"

namespace attend::train {

namespace {

// Levenshtein distance (names are short; O(|a|·|b|) is fine).
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// "; did you mean 'x'?" for the closest candidate within distance 2, or "".
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = 3;
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(name, c);
    if (d < best_distance) {
      best_distance = d;
      best = &c;
    }
  }
  return best ? fmt::format("; did you mean '{}'?", *best) : std::string();
}

std::string section_of(const std::string& name) { return name.substr(0, name.find('.')); }
std::string key_of(const std::string& name) { return name.substr(name.find('.') + 1); }

[[noreturn]] void bad_value(const std::string& where, const std::string& name, const char* expected,
                            const std::string& value, const char* why = "") {
  throw Error(fmt::format("{}: option {}: expected {}, got '{}'{}", where, name, expected, value, why));
}

template <class T>
T parse_integer(const std::string& name, const std::string& value, const std::string& where, const char* expected) {
  T out{};
  const char* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (ec == std::errc::result_out_of_range) bad_value(where, name, expected, value, " (out of range)");
  if (ec != std::errc() || ptr != end || value.empty()) bad_value(where, name, expected, value);
  return out;
}

double parse_double(const std::string& name, const std::string& value, const std::string& where) {
  double out = 0.0;
  const char* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (ec == std::errc::result_out_of_range) bad_value(where, name, "a number", value, " (out of range)");
  if (ec != std::errc() || ptr != end || value.empty()) bad_value(where, name, "a number", value);
  if (!std::isfinite(out)) bad_value(where, name, "a finite number", value);
  return out;
}

bool parse_bool(const std::string& name, const std::string& value, const std::string& where) {
  std::string v = value;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  bad_value(where, name, "a boolean (true/false, yes/no, on/off, 1/0)", value);
}

std::string format_double(double v) { return fmt::format("{}", v); }

std::string node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null: return "nothing";
    default: return fmt::format("'{}'", node.Scalar());
  }
}

}  // namespace

// --- declaring options -------------------------------------------------------------------------------------------

namespace {

OptionEntry make_entry(const std::vector<OptionEntry>& existing, const std::string& name, const char* type,
                       const std::string& help) {
  const size_t dot = name.find('.');
  ATTEND_CHECK(dot != std::string::npos && dot > 0 && dot + 1 < name.size() &&
                   name.find('.', dot + 1) == std::string::npos,
               "OptionTable::add: option name '{}' must be 'section.key'", name);
  for (const OptionEntry& e : existing) {
    ATTEND_CHECK(e.name != name, "OptionTable::add: option '{}' is declared twice", name);
  }
  return OptionEntry{.name = name, .type = type, .help = help, .default_value = {}, .set = {}, .get = {}};
}

}  // namespace

void OptionTable::add(const std::string& name, int64_t* field, const std::string& help) {
  OptionEntry e = make_entry(entries_, name, "int", help);
  e.set = [field, name](const std::string& v, const std::string& where) {
    *field = parse_integer<int64_t>(name, v, where, "an integer");
  };
  e.get = [field] { return std::to_string(*field); };
  e.default_value = e.get();
  entries_.push_back(std::move(e));
}

void OptionTable::add(const std::string& name, uint64_t* field, const std::string& help) {
  OptionEntry e = make_entry(entries_, name, "uint", help);
  e.set = [field, name](const std::string& v, const std::string& where) {
    *field = parse_integer<uint64_t>(name, v, where, "a non-negative integer");
  };
  e.get = [field] { return std::to_string(*field); };
  e.default_value = e.get();
  entries_.push_back(std::move(e));
}

void OptionTable::add(const std::string& name, double* field, const std::string& help) {
  OptionEntry e = make_entry(entries_, name, "float", help);
  e.set = [field, name](const std::string& v, const std::string& where) { *field = parse_double(name, v, where); };
  e.get = [field] { return format_double(*field); };
  e.default_value = e.get();
  entries_.push_back(std::move(e));
}

void OptionTable::add(const std::string& name, bool* field, const std::string& help) {
  OptionEntry e = make_entry(entries_, name, "bool", help);
  e.set = [field, name](const std::string& v, const std::string& where) { *field = parse_bool(name, v, where); };
  e.get = [field] { return std::string(*field ? "true" : "false"); };
  e.default_value = e.get();
  entries_.push_back(std::move(e));
}

void OptionTable::add(const std::string& name, std::string* field, const std::string& help) {
  OptionEntry e = make_entry(entries_, name, "string", help);
  e.set = [field](const std::string& v, const std::string&) { *field = v; };
  e.get = [field] { return *field; };
  e.default_value = e.get();
  entries_.push_back(std::move(e));
}

// --- setting from text -------------------------------------------------------------------------------------------

void OptionTable::set(const std::string& name, const std::string& value, const std::string& where) {
  std::vector<std::string> names;
  for (const OptionEntry& e : entries_) {
    if (e.name == name) {
      e.set(value, where);
      return;
    }
    names.push_back(e.name);
  }
  throw Error(fmt::format("{}: unknown option '{}'{}", where, name, did_you_mean(name, names)));
}

// --- YAML in -----------------------------------------------------------------------------------------------------

namespace {

std::string at(const std::string& source, const YAML::Mark& mark) {
  return mark.is_null() ? source : fmt::format("{}:{}", source, mark.line + 1);
}

}  // namespace

void OptionTable::read_yaml(const std::string& text, const std::string& source) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}:{}: malformed YAML: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  ATTEND_CHECK(documents.size() <= 1, "{}: expected one YAML document, found {}", source, documents.size());
  if (documents.empty() || documents[0].IsNull()) return;  // an empty file keeps every default
  const YAML::Node& root = documents[0];
  ATTEND_CHECK(root.IsMap(), "{}: the configuration must be a mapping of sections (section: {{key: value}}), got {}",
               at(source, root.Mark()), node_kind(root));

  // What each section knows, in declaration order (for hints).
  std::vector<std::string> sections;
  std::map<std::string, std::vector<std::string>> keys;  // section -> keys
  for (const OptionEntry& e : entries_) {
    const std::string s = section_of(e.name);
    if (keys.find(s) == keys.end()) sections.push_back(s);
    keys[s].push_back(key_of(e.name));
  }

  // All or nothing: on any error the table's fields are restored to their values before the call.
  std::vector<std::string> before;
  for (const OptionEntry& e : entries_) before.push_back(e.get());
  try {
    std::map<std::string, int> seen;  // option -> line, for duplicates
    for (const auto& section_pair : root) {
      const YAML::Node& section_key = section_pair.first;
      const YAML::Node& body = section_pair.second;
      ATTEND_CHECK(section_key.IsScalar(), "{}: a section name must be a plain word, got {}",
                   at(source, section_key.Mark()), node_kind(section_key));
      const std::string section = section_key.Scalar();
      if (keys.find(section) == keys.end()) {
        throw Error(fmt::format("{}: unknown section '{}' (known sections: {}){}", at(source, section_key.Mark()),
                                section, fmt::join(sections, ", "), did_you_mean(section, sections)));
      }
      if (body.IsNull()) continue;  // "train:" with everything commented out
      ATTEND_CHECK(body.IsMap(), "{}: section '{}' must be a mapping of key: value, got {}", at(source, body.Mark()),
                   section, node_kind(body));
      for (const auto& pair : body) {
        const YAML::Node& key_node = pair.first;
        const YAML::Node& value = pair.second;
        const std::string where = at(source, key_node.Mark());
        ATTEND_CHECK(key_node.IsScalar(), "{}: a key in section '{}' must be a plain word, got {}", where, section,
                     node_kind(key_node));
        const std::string key = key_node.Scalar();
        const std::vector<std::string>& known = keys[section];
        if (std::find(known.begin(), known.end(), key) == known.end()) {
          std::string hint = did_you_mean(key, known);
          for (const std::string& other : sections) {
            const std::vector<std::string>& ks = keys[other];
            if (hint.empty() && std::find(ks.begin(), ks.end(), key) != ks.end()) {
              hint = fmt::format("; did you mean '{}.{}' (section '{}')?", other, key, other);
            }
          }
          throw Error(fmt::format("{}: unknown key '{}' in section '{}'{}", where, key, section, hint));
        }
        const std::string name = section + "." + key;
        const auto [it, inserted] = seen.emplace(name, key_node.Mark().line + 1);
        ATTEND_CHECK(inserted, "{}: option {} is given twice (first on line {})", where, name, it->second);
        const OptionEntry& entry = *std::find_if(entries_.begin(), entries_.end(),
                                                 [&](const OptionEntry& e) { return e.name == name; });
        if (value.IsNull() && entry.type == "string") {
          entry.set("", where);  // "valid:" with no value means no value
          continue;
        }
        ATTEND_CHECK(value.IsScalar(), "{}: option {} expects a single {} value, got {}", where, name, entry.type,
                     node_kind(value));
        entry.set(value.Scalar(), where);
      }
    }
  } catch (...) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      try {
        entries_[i].set(before[i], "(restoring)");
      } catch (const Error&) {  // only a non-finite double set directly in the struct cannot be re-read; keep going
      }
    }
    throw;
  }
}

void OptionTable::read_yaml_file(const std::string& path) {
  std::error_code ec;
  ATTEND_CHECK(!std::filesystem::is_directory(path, ec), "config file '{}' is a directory, not a YAML file", path);
  std::ifstream in(path, std::ios::binary);
  ATTEND_CHECK(in.good(), "cannot open config file '{}': {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  ATTEND_CHECK(!in.bad(), "cannot read config file '{}': {}", path, std::strerror(errno));
  read_yaml(text.str(), path);
}

// --- YAML out ----------------------------------------------------------------------------------------------------

std::string OptionTable::to_yaml() const {
  std::vector<std::string> sections;
  for (const OptionEntry& e : entries_) {
    const std::string s = section_of(e.name);
    if (std::find(sections.begin(), sections.end(), s) == sections.end()) sections.push_back(s);
  }
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const std::string& section : sections) {
    out << YAML::Key << section << YAML::Value << YAML::BeginMap;
    for (const OptionEntry& e : entries_) {
      if (section_of(e.name) != section) continue;
      // Numbers and booleans print plain; strings are quoted by the emitter when YAML would misread them.
      out << YAML::Key << key_of(e.name) << YAML::Value << e.get();
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  ATTEND_ASSERT(out.good(), "OptionTable::to_yaml: {}", out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

// --- the table of `attend train` ---------------------------------------------------------------------------------

OptionTable train_option_table(TrainConfig& config) {
  OptionTable t;
  ModelConfig& m = config.model;
  t.add("model.type", &m.type, "model family: rnn-attention | transformer");
  t.add("model.embedding", &m.embedding, "token embedding width E (rnn-attention)");
  t.add("model.hidden", &m.hidden, "decoder hidden width; the encoder's per direction (rnn-attention)");
  t.add("model.layers", &m.layers, "encoder RNN layers (rnn-attention)");
  t.add("model.cell", &m.cell, "recurrent cell: gru | lstm | rnn_tanh | rnn_relu");
  t.add("model.bidirectional", &m.bidirectional, "bidirectional encoder (rnn-attention)");
  t.add("model.scorer", &m.scorer, "attention score: dot | scaled_dot | general | additive | mlp");
  t.add("model.placement", &m.placement, "where attention is read: bahdanau (before the cell) | luong (after)");
  t.add("model.fusion", &m.fusion, "how context and state combine: concat | weighted_sum | gate");
  t.add("model.input_feeding", &m.input_feeding, "feed the previous attentional state to the cell (Luong)");
  t.add("model.coverage", &m.coverage, "coverage vector in the attention scores (Tu et al. 2016)");
  t.add("model.bridge", &m.bridge, "decoder initial state from the encoder: zeros | copy | linear");
  t.add("model.dropout", &m.dropout, "dropout probability in [0, 1)");
  t.add("model.d_model", &m.d_model, "model width C (transformer)");
  t.add("model.heads", &m.heads, "attention heads H, dividing d_model (transformer)");
  t.add("model.ffn", &m.ffn, "feed-forward inner width (transformer)");
  t.add("model.encoder_layers", &m.encoder_layers, "encoder layers (transformer)");
  t.add("model.decoder_layers", &m.decoder_layers, "decoder layers (transformer)");
  t.add("model.norm_first", &m.norm_first, "layer norm before each sublayer (pre-norm) instead of after (transformer)");
  t.add("model.activation", &m.activation, "feed-forward activation: relu | gelu (transformer)");
  t.add("model.positional", &m.positional, "position encoding: sinusoidal | learned (transformer)");
  t.add("model.tie_embeddings", &m.tie_embeddings, "share the target embedding with the output projection");
  t.add("model.max_positions", &m.max_positions, "longest sequence with learned positions (transformer)");

  DataConfig& d = config.data;
  t.add("data.train", &d.train, "training corpus, TSV 'source<TAB>target' per line (or train_src + train_tgt)");
  t.add("data.train_src", &d.train_src, "training sources, one sentence per line, aligned with train_tgt");
  t.add("data.train_tgt", &d.train_tgt, "training targets, one sentence per line, aligned with train_src");
  t.add("data.valid", &d.valid, "validation corpus as TSV (optional; or valid_src + valid_tgt)");
  t.add("data.valid_src", &d.valid_src, "validation sources, aligned with valid_tgt");
  t.add("data.valid_tgt", &d.valid_tgt, "validation targets, aligned with valid_src");
  t.add("data.tokenizer", &d.tokenizer, "tokenizer: char | word | sentencepiece");
  t.add("data.sentencepiece_vocab", &d.sentencepiece_vocab, "pieces per side when training SentencePiece");
  t.add("data.vocab_size", &d.vocab_size, "most frequent tokens kept per side (0: all)");
  t.add("data.min_frequency", &d.min_frequency, "tokens seen fewer times become <unk>");
  t.add("data.max_length", &d.max_length, "longer examples (tokens, either side) are skipped and counted");
  t.add("data.batch_tokens", &d.batch_tokens, "token budget per batch (padded source + target)");
  t.add("data.max_batch_size", &d.max_batch_size, "examples per batch at most");
  t.add("data.bucketing", &d.bucketing, "group examples of similar length into batches");

  OptimConfig& o = config.optim;
  t.add("optim.optimizer", &o.optimizer, "optimizer: adam | adamw | sgd");
  t.add("optim.lr", &o.lr, "peak learning rate (> 0)");
  t.add("optim.beta1", &o.beta1, "Adam first-moment decay in [0, 1)");
  t.add("optim.beta2", &o.beta2, "Adam second-moment decay in [0, 1)");
  t.add("optim.eps", &o.eps, "Adam denominator epsilon");
  t.add("optim.weight_decay", &o.weight_decay, "weight decay (L2 for adam and sgd, decoupled for adamw)");
  t.add("optim.momentum", &o.momentum, "SGD momentum");
  t.add("optim.nesterov", &o.nesterov, "SGD Nesterov momentum (needs momentum > 0)");
  t.add("optim.schedule", &o.schedule,
        "learning-rate schedule: constant | step | linear_warmup | warmup_inverse_sqrt | cosine");
  t.add("optim.warmup_steps", &o.warmup_steps, "steps of linear warmup from 0 to lr");
  t.add("optim.step_size", &o.step_size, "step schedule: multiply lr by gamma every step_size steps");
  t.add("optim.gamma", &o.gamma, "step schedule: the factor applied every step_size steps (> 0)");
  t.add("optim.min_lr", &o.min_lr, "cosine schedule: the floor reached at the last step");
  t.add("optim.clip_norm", &o.clip_norm, "clip gradients to this global L2 norm (0: off)");
  t.add("optim.clip_value", &o.clip_value, "clip each gradient element to [-v, v] (0: off)");
  t.add("optim.label_smoothing", &o.label_smoothing, "label smoothing of the cross entropy in [0, 1)");
  t.add("optim.coverage_weight", &o.coverage_weight, "weight of the coverage loss (needs model.coverage)");

  LoopConfig& l = config.train;
  t.add("train.steps", &l.steps, "optimizer steps to run (0: run train.epochs instead)");
  t.add("train.epochs", &l.epochs, "passes over the training corpus when train.steps is 0");
  t.add("train.seconds", &l.seconds, "stop after this much training time in seconds (0: no limit)");
  t.add("train.target", &l.target, "stop when the validation metric reaches this value (0: never)");
  t.add("train.valid_every", &l.valid_every, "validate every this many steps");
  t.add("train.log_every", &l.log_every, "log line period in steps when stdout is not a terminal");
  t.add("train.patience", &l.patience, "validations without improvement before stopping (0: never stop early)");
  t.add("train.metric", &l.metric, "what 'best' means: loss | token_accuracy | exact_match | bleu");
  t.add("train.valid_beam", &l.valid_beam, "beam size of the validation decoding (1: greedy)");
  t.add("train.seed", &l.seed, "seed of initialization, shuffling and dropout");
  t.add("train.threads", &l.threads, "worker threads (0: the library default)");
  t.add("train.out", &l.out, "checkpoint folder");
  t.add("train.keep_last", &l.keep_last, "checkpoints kept besides the best (>= 1)");
  t.add("train.on_nan", &l.on_nan, "on a NaN/Inf loss: skip (the batch, counted) | stop (at the last good checkpoint)");
  return t;
}

}  // namespace attend::train
