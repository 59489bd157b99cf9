// The startup-script template that `jlrec import-legacy -o FILE` writes beside the manifest
// it makes, so that the manifest validates where it was written, with no jlrec checkout or
// installed share/ folder at hand.
#pragma once

#include <string>

namespace jlrec {

/// The template's default path, relative to the manifest that names it.
inline constexpr const char* kLegacyRunTemplatePath = "templates/jiliang_run.sh.tmpl";

/// The legacy /run.sh as a template: the bytes of the repository's
/// templates/jiliang_run.sh.tmpl (a test keeps the two equal).
const std::string& LegacyRunTemplate();

}  // namespace jlrec
