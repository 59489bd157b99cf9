// The manifest's public entry points: YAML file(s) in, a validated DesiredState or precise
// diagnostics out. See docs/manifest.md for the format.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/manifest_inputs.h"
#include "manifests/source_files.h"
#include "model/desired_state.h"

namespace jlrec {

/// How a manifest is loaded.
struct LoadOptions {
  /// Looks up the control machine's environment (${VAR} in env values, HOME for ~ in
  /// paths); nullopt = unset. Default (empty function): ::getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  /// When set, receives every file read and every variable looked up (ManifestInputs).
  ManifestInputs* inputs = nullptr;
  /// Where the manifest, its includes and templates are read from; nullptr = the disk
  /// (DiskSourceFiles). A folder manifest is always listed on disk.
  const SourceFiles* files = nullptr;
  /// The state key: keys every /run.sh digest and the secret values in the manifest digest
  /// (model/digest.h ScriptDigest), so that nothing kept or shown confirms a guessed secret.
  /// Empty: a random key of this process (a load whose digests are never kept).
  std::string script_key;
};

/// The outcome of loading a manifest.
struct LoadResult {
  std::optional<DesiredState> state;    ///< set iff there are no errors
  std::vector<Diagnostic> diagnostics;  ///< errors and warnings, sorted by position
  /// True when the manifest is usable (no errors; warnings allowed).
  bool ok() const { return state.has_value(); }
  /// Number of diagnostics with severity kError.
  int error_count() const;
  /// Number of diagnostics with severity kWarning.
  int warning_count() const;
};

/// Loads, validates and resolves a manifest file, or every *.yaml / *.yml file of a folder
/// (in name order, merged as one manifest). The root file may `include:` other files.
/// Never throws; every problem is a Diagnostic.
LoadResult LoadManifest(const std::string& path, const LoadOptions& options = {});

/// Same from an in-memory YAML string (for tests); `path` is used in diagnostics and to
/// resolve relative template, include and key paths.
LoadResult LoadManifestFromString(const std::string& yaml, const std::string& path,
                                  const LoadOptions& options = {});

/// The number of distinct units the containers of `state` come from.
int CountUnits(const DesiredState& state);

}  // namespace jlrec
