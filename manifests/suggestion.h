// "did you mean ...?" hints for misspelt keys and names.
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

/// `; did you mean "x"?` for the nearest candidate, or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace jlrec
