// The manifest's top-level `state:` key (where the state lives: an SQLite file or a
// postgresql:// URL), read BEFORE the manifest is loaded: loading keys its digests with the
// state key, and where that key lives depends on the state. So this is a small read of that
// one key, cheap enough for a plan from the cache of a 10,000-container manifest.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/manifest_model.h"

namespace jlrec {

/// What a manifest says about its state.
struct ManifestStateSetting {
  /// The `state:` value as written, at its position; unset when no file sets it (or on error).
  std::optional<Located<std::string>> value;
  std::vector<Diagnostic> errors;  ///< why the key cannot be used (FILE:LINE:COL)
};

/// The top-level `state:` of the manifest at `manifest_path`: the file (never the files it
/// includes: `state:` is refused there, manifests/manifest_parser.h), or every *.yaml / *.yml
/// file of a folder (one of them at most may set it). An error for a value that is not a
/// non-empty string, or set twice. The value is not interpreted here (the CLI parses it as a
/// state location, reporting its problems at the value's position). A file that cannot be
/// read or is not YAML yields nothing: the load that follows reports it.
ManifestStateSetting ReadManifestStateSetting(const std::string& manifest_path);

/// The same from the text `yaml` of the file `path` (tests, and each file of a folder).
ManifestStateSetting ReadManifestStateSettingFromString(const std::string& yaml,
                                                        const std::string& path);

}  // namespace jlrec
