// Internal (data/): base64 (RFC 4648, standard alphabet, '=' padding) for binary blobs kept inside JSON, such as a
// SentencePiece model proto in a tokenizer's JSON.
#pragma once

#include <string>
#include <string_view>

namespace attend::data::detail {

/// Encodes bytes; the output length is 4·ceil(n/3).
std::string base64_encode(std::string_view bytes);

/// Decodes strict base64 (length a multiple of 4, padding only at the end). Throws attend::Error starting with
/// `what` and naming the first offending character and its offset.
std::string base64_decode(std::string_view text, std::string_view what);

}  // namespace attend::data::detail
