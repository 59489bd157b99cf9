#include "serve/status_page.h"

#include <cstddef>

namespace jlrec::serve {

// Defined by the source the build generates from serve/status_page.html.
namespace embedded {
extern const char kStatusPageHtml[];
extern const std::size_t kStatusPageHtmlSize;
}  // namespace embedded

std::string_view StatusPageHtml() {
  return {embedded::kStatusPageHtml, embedded::kStatusPageHtmlSize};
}

}  // namespace jlrec::serve
