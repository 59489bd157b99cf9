// YAML -> ManifestDecl: types, required keys, unknown keys and value syntax, with positions.
// Cross-references (groups, hosts, dependencies, templates) are checked by resolution.
#pragma once

#include <string>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/env_expansion.h"
#include "manifests/manifest_model.h"

namespace jlrec {

/// How one manifest file takes part in a (possibly multi-file) manifest.
struct ManifestFileRole {
  bool is_root = true;  ///< the file given by the user: the only one allowed `include:`
  /// A file the root file includes: it may not set `state:` (read before the load, from the
  /// file given or a folder's files only: manifests/state_setting.h).
  bool is_included = false;
};

/// Parses one YAML document `yaml` read from `path` and merges it into `decl`; every
/// problem goes to `sink` as FILE:LINE:COL. Paths in it (template, identity_file,
/// known_hosts) are resolved against the folder of `path`. `${VAR}` in env values is
/// expanded with `getenv`. The root file's `include:` entries (resolved paths, positioned)
/// are appended to `includes`. Returns false when the text is not YAML at all (a syntax
/// error), after which resolving the manifest would only add noise. Never throws.
bool ParseManifestFile(const std::string& yaml, const std::string& path,
                       const ManifestFileRole& role, const EnvLookup& getenv, ManifestDecl* decl,
                       std::vector<Located<std::string>>* includes, DiagnosticSink& sink);

/// Checks what only the whole manifest can tell (e.g. a missing `project`), once every
/// file has been parsed; `root` is the file (or folder) the user gave.
void FinishManifestDecl(const std::string& root, ManifestDecl* decl, DiagnosticSink& sink);

/// The top-level keys, the keys of defaults/groups/units, ... (for docs and tests).
const std::vector<std::string>& TopLevelManifestKeys();

}  // namespace jlrec
