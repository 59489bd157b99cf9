// Percent-encoding for request targets (RFC 3986): every value jlrec puts in a Docker API
// URL (container names, image references, filters JSON) goes through here.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jlrec {

/// `s` with every byte percent-encoded except the RFC 3986 unreserved characters
/// (A-Z a-z 0-9 - . _ ~) and the characters listed in `keep`.
std::string PercentEncode(std::string_view s, std::string_view keep = "");

/// "?k1=v1&k2=v2" with keys and values percent-encoded; "" when `params` is empty.
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace jlrec
