// ManifestDecl -> DesiredState: layering (defaults < group < unit), multi-group conflicts,
// hosts, derived env, dependencies, template rendering and digests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/env_expansion.h"
#include "manifests/manifest_inputs.h"
#include "manifests/manifest_model.h"
#include "manifests/source_files.h"
#include "model/desired_state.h"

namespace jlrec {

/// The most containers one manifest may declare: a guard against alias-expanded YAML that
/// would otherwise take the control machine's memory.
inline constexpr size_t kMaxManifestContainers = 200000;

/// Resolves `decl` into the desired state, reporting every cross-reference problem into
/// `sink`. Returns nullopt when the sink holds errors (including earlier parse errors).
/// Never throws. When `inputs` is set, every template file read is recorded in it. Template
/// files are read from `files` (nullptr: the disk). Script and manifest digests are keyed
/// with `script_key` (LoadOptions::script_key).
std::optional<DesiredState> ResolveManifest(const ManifestDecl& decl, DiagnosticSink& sink,
                                            ManifestInputs* inputs = nullptr,
                                            const SourceFiles* files = nullptr,
                                            const std::string& script_key = "");

}  // namespace jlrec
