// Internal (io/): strict UTF-8 validation, as RFC 3629 defines it, for file headers and names read or written.
#pragma once

#include <cstddef>
#include <string_view>

namespace attend::detail {

/// Offset of the first byte that does not begin a valid UTF-8 sequence (overlong forms, surrogates and code points
/// past U+10FFFF are invalid), or std::string_view::npos when all of `text` is valid.
size_t invalid_utf8_offset(std::string_view text);

}  // namespace attend::detail
