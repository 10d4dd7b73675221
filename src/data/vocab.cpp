// Vocab: counting and ordering (frequency, then first appearance), id lookups, and the JSON form.
#include "attend/data/vocab.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "../io/utf8.hpp"
#include "attend/core/error.hpp"
#include "attend/data/batch.hpp"

namespace attend::data {

namespace {

std::vector<std::string> specials() { return {kPadToken, kUnkToken, kBosToken, kEosToken}; }

}  // namespace

Vocab::Vocab() : Vocab(specials()) {}

Vocab::Vocab(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  ids_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const bool inserted = ids_.emplace(tokens_[i], static_cast<int64_t>(i)).second;
    ATTEND_ASSERT(inserted, "Vocab: duplicate token '{}'", tokens_[i]);
  }
}

Vocab Vocab::build(const std::vector<std::vector<std::string>>& sentences, const VocabOptions& options) {
  ATTEND_CHECK(options.min_frequency >= 1, "Vocab::build: min_frequency must be >= 1, got {}", options.min_frequency);
  ATTEND_CHECK(options.max_size >= 0, "Vocab::build: max_size must be >= 0 (0: no limit), got {}", options.max_size);
  const std::vector<std::string> special = specials();
  std::unordered_map<std::string, int64_t> counts;  // node-based: pointers to its keys stay valid
  std::vector<const std::string*> order;            // distinct tokens in order of first appearance
  for (const std::vector<std::string>& sentence : sentences) {
    for (const std::string& token : sentence) {
      auto [it, inserted] = counts.try_emplace(token, 0);
      if (inserted) order.push_back(&it->first);
      ++it->second;
    }
  }
  std::vector<std::pair<int64_t, const std::string*>> kept;  // (count, token) in order of first appearance
  for (const std::string* token : order) {
    const int64_t count = counts.at(*token);
    if (count < options.min_frequency) continue;
    if (std::find(special.begin(), special.end(), *token) != special.end()) continue;
    kept.emplace_back(count, token);
  }
  // Descending count; stable_sort keeps the order of first appearance among equal counts.
  std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (options.max_size > 0 && static_cast<int64_t>(kept.size()) > options.max_size) kept.resize(options.max_size);
  std::vector<std::string> tokens = special;
  tokens.reserve(special.size() + kept.size());
  for (const auto& entry : kept) tokens.push_back(*entry.second);
  return Vocab(std::move(tokens));
}

int64_t Vocab::id(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? kUnkId : it->second;
}

const std::string& Vocab::token(int64_t id) const {
  ATTEND_CHECK(id >= 0 && id < size(), "Vocab::token: id {} is out of range for a vocabulary of {} tokens [0, {})", id,
               size(), size());
  return tokens_[static_cast<size_t>(id)];
}

std::vector<int64_t> Vocab::encode(const std::vector<std::string>& tokens) const {
  std::vector<int64_t> ids;
  ids.reserve(tokens.size());
  for (const std::string& t : tokens) ids.push_back(id(t));
  return ids;
}

std::vector<std::string> Vocab::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> out;
  for (const int64_t i : ids) {
    const std::string& t = token(i);  // checks the range first, even for specials
    if (i == kEosId) break;
    if (i == kPadId || i == kBosId) continue;
    out.push_back(t);
  }
  return out;
}

std::string Vocab::to_json() const {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    ATTEND_CHECK(attend::detail::invalid_utf8_offset(tokens_[i]) == std::string_view::npos,
                 "Vocab::to_json: token {} is not valid UTF-8 and cannot be saved as JSON", i);
  }
  return nlohmann::json{{"tokens", tokens_}}.dump();
}

Vocab Vocab::from_json(const std::string& json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("Vocab::from_json: not valid JSON ({})", e.what()));
  }
  ATTEND_CHECK(j.is_object() && j.contains("tokens") && j["tokens"].is_array(),
               "Vocab::from_json: expected an object with a \"tokens\" array, got {}", j.dump().substr(0, 80));
  const nlohmann::json& array = j["tokens"];
  std::vector<std::string> tokens;
  tokens.reserve(array.size());
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < array.size(); ++i) {
    ATTEND_CHECK(array[i].is_string(), "Vocab::from_json: tokens[{}] must be a string, got {}", i,
                 array[i].dump().substr(0, 40));
    std::string token = array[i].get<std::string>();
    const auto [it, inserted] = seen.emplace(token, i);
    ATTEND_CHECK(inserted, "Vocab::from_json: duplicate token '{}' at tokens[{}] and tokens[{}]", token, it->second, i);
    tokens.push_back(std::move(token));
  }
  const std::vector<std::string> special = specials();
  for (size_t i = 0; i < special.size(); ++i) {
    ATTEND_CHECK(i < tokens.size() && tokens[i] == special[i],
                 "Vocab::from_json: tokens[{}] must be the special token '{}', got {} (tokens must start with <pad> "
                 "<unk> <s> </s>)",
                 i, special[i], i < tokens.size() ? fmt::format("'{}'", tokens[i]) : std::string("nothing"));
  }
  return Vocab(std::move(tokens));
}

}  // namespace attend::data
