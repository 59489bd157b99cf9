// Where the state file lives when the operator does not say.
#pragma once

#include <string>

namespace jlrec {

/// `<directory of manifest_path>/.jlrec/state.db` (".jlrec/state.db", relative to the
/// current directory, for a manifest given without a directory).
std::string DefaultStatePath(const std::string& manifest_path);

}  // namespace jlrec
