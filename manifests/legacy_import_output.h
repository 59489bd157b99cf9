// Writing what `jlrec import-legacy -o FILE` made: the manifest, atomically and never over an
// existing file unless asked, and the startup-script template it names beside it when no
// file is there yet.
#pragma once

#include <string>

#include "model/status.h"

namespace jlrec {

/// What WriteLegacyImport did with the template.
struct LegacyImportOutput {
  std::string template_path;      ///< where the template the manifest names is
  bool template_written = false;  ///< false: a file was already there and was kept
};

/// Writes `manifest` to `manifest_path` (creating its folder) through a temporary file of the
/// same folder moved into place, so that no reader ever sees half a manifest. An existing
/// file is replaced only when `overwrite`; otherwise the result is kConflict and nothing is
/// written. Then, if no file is at `template_path` (relative to the manifest's folder unless
/// absolute), writes `template_text` there the same way: an operator's template is never
/// replaced. On an error no file of this call is left behind (folders it made may stay).
/// Errors: kConflict, kIoError, each naming the path.
Result<LegacyImportOutput> WriteLegacyImport(const std::string& manifest_path,
                                             const std::string& manifest,
                                             const std::string& template_path,
                                             const std::string& template_text, bool overwrite);

}  // namespace jlrec
