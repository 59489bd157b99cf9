// `jlrec import-legacy`: the legacy deploy script (its container_list and its
// deploy_system(...) / create_group_containers(...) calls) -> a manifest.
#pragma once

#include <string>
#include <vector>

#include "manifests/legacy_run_template.h"
#include "model/status.h"

namespace jlrec {

/// The image written when neither --image nor the script (IMAGE = "...") names one.
inline constexpr const char* kLegacyDefaultImage = "jiliang/system:latest";

/// What the legacy script does not say and the generated manifest needs.
struct LegacyImportOptions {
  std::string project = "jiliang";
  /// Empty: the script's module-level IMAGE = "..." if it has one, else kLegacyDefaultImage.
  std::string image;
  /// Relative to where the manifest will be saved (or absolute).
  std::string template_path = kLegacyRunTemplatePath;
};

/// What the import made of the script.
struct LegacyImport {
  std::string manifest;  ///< YAML text that the jlrec loader accepts
  /// What the operator must check (the guesses, what was kept as comments), one line each.
  std::vector<std::string> review;
};

/// Reads the Python file text `source` (named `file_name` in messages and comments) without
/// running anything, and returns an equivalent manifest:
/// - the module-level `container_list = [...]` gives hosts: (one per distinct host) and the
///   units in order;
/// - every active deploy_system(...) call (keyword or positional arguments, over several
///   lines, at module level or under `if __name__ == "__main__":`) sets its group's
///   enable_monitor and runtime_mode; the signature and defaults come from the file's
///   `def deploy_system(...)`, else the legacy group="test", enable_monitor=False,
///   runtime_mode="test". Every group of container_list is declared; one without an active
///   call gets the defaults, with a comment saying so;
/// - calls commented out (`# deploy_system(...)`, `# create_group_containers(...)`, possibly
///   over several comment lines) and active create_group_containers(...) calls are kept as
///   YAML comments under the group they name (or at the end of groups:); they set nothing;
/// - the image is options.image, else the script's IMAGE = "...", else kLegacyDefaultImage.
/// The same source gives the same bytes. Errors are kInvalidArgument
/// "FILE:LINE:COL: error: what": anything that is not a literal where a value is read, two
/// active calls that set one group differently (naming both lines), a call under another
/// if/for/while (it may run never or twice), a broken container_list, unbalanced brackets.
Result<LegacyImport> ImportLegacyScript(const std::string& source, const std::string& file_name,
                                        const LegacyImportOptions& options = {});

}  // namespace jlrec
