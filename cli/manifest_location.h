// Finding and loading the manifest for a subcommand: -m/--manifest PATH, else
// $JLREC_MANIFEST, else ./jlrec.yaml.
#pragma once

#include <boost/program_options/options_description.hpp>

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "manifests/diagnostic.h"
#include "manifests/manifest_inputs.h"
#include "model/desired_state.h"
#include "model/status.h"

namespace jlrec::cli {

/// Environment lookup used to read $JLREC_MANIFEST (nullopt = unset).
using GetenvFn = std::function<std::optional<std::string>(const std::string&)>;

/// The manifest path to use: `flag_value` (from -m/--manifest) if non-empty, else
/// $JLREC_MANIFEST if set and non-empty, else ./jlrec.yaml. The chosen path must exist;
/// otherwise kNotFound whose message says where it looked. `getenv` defaults to ::getenv.
Result<std::string> LocateManifest(const std::string& flag_value, const GetenvFn& getenv = {});

/// Adds the shared `-m [ --manifest ] PATH` option, stored into `*target`.
void AddManifestOption(boost::program_options::options_description& options, std::string* target);

/// Locates the manifest (see LocateManifest), loads and validates it, and prints every
/// diagnostic (FILE:LINE:COL: error|warning: message) to `err`. Returns the desired state,
/// or nullopt when it could not be found or has errors (after printing why). When set,
/// `inputs` receives what the load read and `diagnostics` what it printed. Digests are keyed
/// with `script_key` (LoadOptions::script_key; the state key, cli/state_key_for_run.h).
std::optional<DesiredState> LoadManifestOrReport(const std::string& flag_value, std::ostream& err,
                                                 const std::string& script_key,
                                                 ManifestInputs* inputs = nullptr,
                                                 std::vector<Diagnostic>* diagnostics = nullptr);

}  // namespace jlrec::cli
