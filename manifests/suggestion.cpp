#include "manifests/suggestion.h"

#include "manifests/diagnostic.h"

namespace jlrec {

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  auto nearest = NearestName(word, candidates);
  return nearest ? "; did you mean " + Quoted(*nearest) + "?" : "";
}

}  // namespace jlrec
