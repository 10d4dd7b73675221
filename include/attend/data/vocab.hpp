// Vocabulary: the bijection between tokens (tokenizer pieces) and ids 0..V-1, as in OpenNMT / fairseq dictionaries.
//
// Ids 0..3 are the specials of batch.hpp: <pad> 0, <unk> 1, <s> 2, </s> 3. The corpus tokens follow, ordered by
// descending frequency, ties broken by first appearance (sentence order, then position in the sentence), so the same
// sentences always give the same vocabulary. Tokens rarer than min_frequency are left out, then only the max_size
// most frequent are kept; a token left out maps to <unk>. A corpus token spelled like a special ("<unk>") is not added:
// it maps to that special's id. V = size() = 4 + kept tokens. Saved as JSON {"tokens": ["<pad>", "<unk>", ...]}
// (the token of id i at index i) inside checkpoints.
//
// Usage:
//   Vocab v = Vocab::build(tokenized_sentences, {.min_frequency = 2, .max_size = 8000});
//   std::vector<int64_t> ids = v.encode({"the", "cat"});   // unknown tokens -> kUnkId
//   std::vector<std::string> back = v.decode(ids);         // stops at </s>
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attend::data {

inline constexpr const char* kPadToken = "<pad>";
inline constexpr const char* kUnkToken = "<unk>";
inline constexpr const char* kBosToken = "<s>";
inline constexpr const char* kEosToken = "</s>";

struct VocabOptions {
  int64_t min_frequency = 1;  ///< tokens seen fewer times are left out (>= 1)
  int64_t max_size = 0;       ///< most tokens kept, specials not counted (0: no limit)
};

class Vocab {
 public:
  /// The four specials only (V = 4).
  Vocab();

  /// Counts the tokens of `sentences` and orders them as the file comment says. Throws naming the option when
  /// min_frequency < 1 or max_size < 0.
  static Vocab build(const std::vector<std::vector<std::string>>& sentences, const VocabOptions& options = {});

  /// V, specials included.
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  /// The id of `token`, kUnkId when it is not in the vocabulary.
  int64_t id(const std::string& token) const;
  /// Whether `token` has an id of its own (specials included).
  bool contains(const std::string& token) const { return ids_.count(token) != 0; }
  /// The token of `id`; throws naming the id and V when it is outside [0, V).
  const std::string& token(int64_t id) const;
  /// Every token, the token of id i at index i.
  const std::vector<std::string>& tokens() const { return tokens_; }

  /// Maps each token to its id (kUnkId when unknown). No <s> or </s> is added.
  std::vector<int64_t> encode(const std::vector<std::string>& tokens) const;
  /// Maps ids back to tokens, stopping at the first </s> and dropping <pad> and <s>; <unk> stays "<unk>". Throws as
  /// token() for an id outside [0, V).
  std::vector<std::string> decode(const std::vector<int64_t>& ids) const;

  /// {"tokens": [...]}. Throws naming the id when a token is not valid UTF-8 (JSON cannot hold it).
  std::string to_json() const;
  /// Rebuilds from to_json's output. Throws attend::Error naming what is malformed: not JSON, no "tokens" array, a
  /// non-string entry, the specials missing or out of place, a duplicate token (with both indices).
  static Vocab from_json(const std::string& json);

  bool operator==(const Vocab& other) const { return tokens_ == other.tokens_; }

 private:
  explicit Vocab(std::vector<std::string> tokens);

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t> ids_;
};

}  // namespace attend::data
