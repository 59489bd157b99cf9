// HTTP dates (RFC 9110 IMF-fixdate, "Tue, 01 Dec 2026 17:08:43 GMT"): the Date header Docker's
// Go HTTP server puts on every answer, which is how jlrec learns a host's clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace jlrec {

/// Seconds since the Unix epoch of IMF-fixdate `text` ("Tue, 01 Dec 2026 17:08:43 GMT");
/// nullopt for anything else: another format (RFC 850, asctime), a zone other than GMT, a
/// date that does not exist, or a day name that does not match the date.
std::optional<std::int64_t> ParseHttpDate(std::string_view text);

}  // namespace jlrec
