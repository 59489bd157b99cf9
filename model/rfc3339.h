// RFC 3339 timestamps: read as Docker writes them (State.StartedAt, a path stat's mtime): UTC
// "Z" or a numeric offset, with up to nine fractional digits; written as jlrec shows times
// (messages, the HTTP API): whole seconds, UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jlrec {

/// Nanoseconds since the Unix epoch of `text` ("2026-12-01T09:04:05.123456789Z",
/// "2026-12-01T17:04:05+08:00"); nullopt for anything else (a day its month does not have, an
/// empty string included). A leap second (":60") is accepted, as RFC 3339 allows.
std::optional<std::int64_t> ParseRfc3339(std::string_view text);

/// The modification time (nanoseconds since the epoch) in a Provider::StatFile key
/// "SIZE:MODE:MTIME"; nullopt when the key has no parsable MTIME (a symlink's "" key).
std::optional<std::int64_t> FileModifiedAt(std::string_view stat_key);

/// `unix_seconds` as "YYYY-MM-DDTHH:MM:SSZ" (UTC); the number itself when the time cannot be
/// represented.
std::string FormatRfc3339Utc(std::int64_t unix_seconds);

}  // namespace jlrec
