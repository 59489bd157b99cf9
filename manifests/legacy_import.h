// `jlrec import-legacy`: the legacy deploy script's container_list -> a manifest.
#pragma once

#include <string>

#include "engine/status.h"

namespace jlrec {

/// What the legacy list does not say and the generated manifest needs.
struct LegacyImportOptions {
  std::string project = "jiliang";
  std::string image = "jiliang/system:latest";  ///< marked TODO in the output
  /// Relative to where the manifest will be saved (default: saved at the repository root).
  std::string template_path = "templates/jiliang_run.sh.tmpl";
};

/// Reads the top-level `container_list = [...]` of the Python file text `source` (named
/// `file_name` in messages) and returns an equivalent manifest (YAML text): defaults from
/// `options`, a hosts: entry per distinct host, a groups: entry per group seen (with the
/// enable_monitor / runtime_mode of any deploy_system(group=...) call in the file, active
/// or commented out, as commented placeholders for the operator), and the units in order.
/// Errors are kInvalidArgument "FILE:LINE:COL: error: what".
Result<std::string> ImportLegacyContainerList(const std::string& source,
                                              const std::string& file_name,
                                              const LegacyImportOptions& options = {});

}  // namespace jlrec
