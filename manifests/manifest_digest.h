// The fingerprint of a resolved desired state: any change to what should run changes it.
#pragma once

#include <string>

#include "model/desired_state.h"

namespace jlrec {

/// sha256 over a canonical, length-prefixed serialisation of `state`'s project,
/// max_per_host, hosts, groups and containers (every field, env included, in a fixed
/// order). manifest_path and manifest_digest itself are left out: moving or reformatting
/// the manifest does not change it; so are the registry logins (neither what runs, nor a
/// secret to fold into a digest). A secret_env value enters only as its SecretValueDigest
/// under `script_key` (model/digest.h): the digest is shown and saved in plans.
std::string ManifestDigest(const DesiredState& state, const std::string& script_key);

}  // namespace jlrec
