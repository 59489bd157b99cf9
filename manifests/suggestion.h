// "did you mean ...?" hints for misspelt keys and names in manifest diagnostics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/suggestion.h"

namespace jlrec {

/// `; did you mean "x"?` for the nearest candidate (NearestName), or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace jlrec
