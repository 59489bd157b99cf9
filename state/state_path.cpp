#include "state/state_path.h"

#include <filesystem>

namespace jlrec {

std::string DefaultStatePath(const std::string& manifest_path) {
  return (std::filesystem::path(manifest_path).parent_path() / ".jlrec" / "state.db").string();
}

}  // namespace jlrec
