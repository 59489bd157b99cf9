// The status page `jlrec serve` answers at `/`: serve/status_page.html, embedded in the binary
// at build time (serve/embed_file.cmake), so the server reads no file to answer it.
#pragma once

#include <string_view>

namespace jlrec::serve {

/// The whole page: HTML with its CSS and JS inline, loading nothing else; it reads only the
/// JSON API (docs/api.md) of the server that answered it. Valid for the program's lifetime.
std::string_view StatusPageHtml();

}  // namespace jlrec::serve
