// The resolved-manifest cache, from the CLI's side: a plan from the state cache
// (--refresh=false) reads an unchanged manifest's resolution from the state file instead
// of parsing YAML and rendering every /run.sh again; any plan that loads the manifest in
// full keeps that record current. The record is authenticated with the state's key
// (cli/state_key_for_run.h), kept outside the state file: a record edited in the state file, or
// written under another key, is never used.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/manifest_inputs.h"
#include "model/desired_state.h"
#include "model/state_store.h"

namespace jlrec::cli {

/// The key the cache files a manifest under: its absolute, normalised path.
std::string ManifestCacheKey(const std::string& manifest_path);

/// The desired state of the manifest at `manifest_path` from `store`'s cache, when every
/// input it was resolved from (files, folder listing, environment values, jlrec build) is
/// unchanged; its warnings are printed to `err` as a fresh load would. digests_only is set.
/// nullopt on any miss (the reason is logged at debug level; a record that fails its MAC
/// under `key` is also warned about on `err`): the caller loads in full.
std::optional<DesiredState> LoadCachedManifest(const std::string& manifest_path, StateStore& store,
                                               const std::string& key, std::ostream& err);

/// Records the resolution of a full load (`state`, with the `inputs` and `diagnostics` it
/// produced) unless the record is already current; does nothing for a state read from the
/// cache (digests_only), MACed under `key`. A cache: failures are logged, never fatal.
void SaveManifestCache(const std::string& manifest_path, const DesiredState& state,
                       const ManifestInputs& inputs, const std::vector<Diagnostic>& diagnostics,
                       StateStore& store, const std::string& key);

}  // namespace jlrec::cli
