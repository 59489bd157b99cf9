// The nearest plausible name to a misspelt one, for "did you mean ...?" hints: the manifest's
// diagnostics and the API's 404s pick the same suggestion.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jlrec {

/// The candidate closest to `word` by edit distance (transpositions count as one edit), if
/// it is close enough to be a plausible typo (at most 1 edit for words of up to 4
/// characters, 2 up to 8, 3 beyond). Ties go to the earliest candidate.
std::optional<std::string> NearestName(std::string_view word,
                                       const std::vector<std::string>& candidates);

}  // namespace jlrec
