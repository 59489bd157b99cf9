// What every JSON document of the HTTP API shares (docs/api.md): its format version and kind,
// and how it writes a time.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace jlrec::serve {

/// The API documents' `format_version`; bumped on any incompatible change.
inline constexpr int kApiFormatVersion = 1;

/// `{"format_version": 1, "kind": kind}`: the start of every document the API answers.
nlohmann::json ApiDocument(const char* kind);

/// `unix_seconds` as an RFC 3339 UTC string ("2026-12-01T10:01:40Z"); null for 0, which the
/// state means as never or not yet (a run still running, a host never refreshed).
nlohmann::json TimeToJson(std::int64_t unix_seconds);

}  // namespace jlrec::serve
