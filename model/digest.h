// Content digests used to compare desired and live state.
#pragma once

#include <string>
#include <string_view>

namespace jlrec {

/// Lower-case hex SHA-256 of `data` (64 characters). Deterministic, thread-safe.
std::string Sha256Hex(std::string_view data);

}  // namespace jlrec
