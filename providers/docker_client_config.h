// The operator's Docker client configuration (the docker CLI's config.json): the registry
// logins `docker login` left there, directly or through credential helpers.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "model/status.h"
#include "providers/credential_helper.h"
#include "providers/registry_credential.h"

namespace jlrec {

/// What config.json says about registry logins (everything else in it is ignored).
struct DockerClientConfig {
  /// One `auths` entry.
  struct Auth {
    std::string auth;            ///< base64 of "user:password" (secret)
    std::string username;        ///< used when `auth` is empty
    std::string password;        ///< used when `auth` is empty (secret)
    std::string identity_token;  ///< identitytoken (secret)
  };
  std::string path;                                 ///< the file it was read from
  std::map<std::string, Auth> auths;                ///< by key as written: HOST[:PORT] or URL
  std::string creds_store;                          ///< credsStore: helper for every registry
  std::map<std::string, std::string> cred_helpers;  ///< credHelpers: helper by registry key
};

/// The file the docker CLI reads: $DOCKER_CONFIG/config.json when DOCKER_CONFIG is set, else
/// $HOME/.docker/config.json; "" when neither variable is set. `getenv` looks a variable up
/// in this process's environment (nullopt = unset).
std::string DockerClientConfigPath(
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

/// Parses config.json `text` read from `path`; kInvalidArgument naming `path` when it is not
/// a JSON object of that shape. Messages never quote a value (it may be a secret).
Result<DockerClientConfig> ParseDockerClientConfig(const std::string& text,
                                                   const std::string& path);

/// Reads and parses the file at `path`; nullopt when it does not exist (no logins, as for
/// the docker CLI); kIoError when it cannot be read.
Result<std::optional<DockerClientConfig>> LoadDockerClientConfig(const std::string& path);

/// The login `config` holds for `registry` (HOST[:PORT], see RegistryHostOf), found as the
/// docker CLI finds it, by key CredentialKeyOf(registry): credHelpers[key] when present,
/// else credsStore when set, each asked through `run_helper` (its answer is final, "no
/// login" included); else the `auths` entry of that key, or else the one whose key is a URL
/// of that host ("https://HOST/v1/"), giving its identitytoken, or its auth decoded as
/// user:password. nullopt when none is found; kInvalidArgument when the auth field is not
/// base64 of user:password; a helper's errors as RunCredentialHelper gives them.
Result<std::optional<RegistryCredential>> CredentialFromClientConfig(
    const DockerClientConfig& config, const std::string& registry,
    const CredentialHelperRunner& run_helper);

}  // namespace jlrec
