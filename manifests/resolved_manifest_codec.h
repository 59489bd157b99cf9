// The resolved-manifest cache's record: a DesiredState without what must not or need not
// be stored (rendered scripts, env values), in a compact binary form that loads ~10x
// faster than parsing and rendering the manifest again.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "manifests/diagnostic.h"
#include "model/desired_state.h"
#include "model/status.h"

namespace jlrec {

/// A desired state read back from the cache, with the warnings its load printed.
struct ResolvedManifest {
  DesiredState state;                ///< digests_only: no scripts, env values or registries
  std::vector<Diagnostic> warnings;  ///< to print again, as a fresh load would
};

/// Encodes `state` without scripts, env (secret_env names are kept) and registry logins
/// (a plan from the cache neither pulls nor checks digests, so it needs none, and a password
/// must never reach the state file), and the warnings among `diagnostics`.
std::string EncodeResolvedManifest(const DesiredState& state,
                                   const std::vector<Diagnostic>& diagnostics);

/// Decodes EncodeResolvedManifest output (of this format version); kInvalidArgument for
/// anything else, truncated or corrupt bytes included. Never throws on bad input.
Result<ResolvedManifest> DecodeResolvedManifest(std::string_view bytes);

}  // namespace jlrec
