// Which login a pull or a registry digest check carries: the manifest's `registries:` entry
// for the image's registry, else the operator's Docker client configuration; and how a
// registry's refusal is reported.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/desired_state.h"
#include "model/mutex.h"
#include "model/status.h"
#include "model/thread_annotations.h"
#include "providers/credential_helper.h"
#include "providers/docker_client_config.h"
#include "providers/registry_credential.h"

namespace jlrec {

/// Finds the login for each registry. Thread-safe. Lookups are serialised and each registry
/// is looked up once, its outcome (an error included) kept for the object's life: a helper
/// runs once per registry however many hosts pull at the same time.
class RegistryAuth {
 public:
  /// Reads the Docker client configuration; nullopt when there is none.
  using ConfigLoader = std::function<Result<std::optional<DockerClientConfig>>()>;

  /// `logins`: the manifest's, by registry. `load_config` runs at most once, at the first
  /// lookup the manifest does not answer; `run_helper` runs the helpers it names.
  RegistryAuth(std::map<std::string, RegistryLogin> logins, ConfigLoader load_config,
               CredentialHelperRunner run_helper);

  /// The credential for `registry` (HOST[:PORT], see RegistryHostOf): the manifest's login
  /// for exactly that registry, else the Docker client configuration's
  /// (CredentialFromClientConfig); nullopt when neither has one, and requests then go
  /// without X-Registry-Auth. kUnavailable, naming `registry`, when the configuration
  /// cannot be read or a helper fails.
  Result<std::optional<RegistryCredential>> CredentialFor(const std::string& registry)
      EXCLUDES(mu_);

 private:
  const std::map<std::string, RegistryLogin> logins_;
  const ConfigLoader load_config_;
  const CredentialHelperRunner run_helper_;
  Mutex mu_;  // held across a lookup, helper run included: one run per registry
  std::optional<Result<std::optional<DockerClientConfig>>> config_ GUARDED_BY(mu_);
  std::map<std::string, Result<std::optional<RegistryCredential>>> found_ GUARDED_BY(mu_);
};

/// A RegistryAuth for the manifest's `logins` and the Docker client configuration this
/// process's environment names (DockerClientConfigPath), asking real helpers
/// (RunCredentialHelper).
std::shared_ptr<RegistryAuth> MakeRegistryAuth(std::map<std::string, RegistryLogin> logins);

/// True when `daemon_message`, a Docker daemon's answer to a pull or a /distribution
/// lookup, says the registry wants a login it did not get or did not accept. Docker 20.10
/// says "no basic auth credentials" (after the manifest URL) when none was sent, and
/// "unauthorized: authentication required" (htpasswd registries) or "unauthorized:
/// incorrect username or password" (Docker Hub) for a wrong one.
bool IsRegistryLoginFailure(std::string_view daemon_message);

/// The error for a registry that refused `credential`: "registry HOST refused the
/// credentials for USER (SOURCE; the daemon said: MESSAGE)", kRemoteError, prefixed by
/// `what`. Never includes the secret.
Status RegistryRefusedLogin(std::string_view what, const RegistryCredential& credential,
                            std::string_view daemon_message);

/// The error for a registry that wants a login where jlrec had none for it: "registry HOST
/// requires a login and jlrec has none for it (...)", kRemoteError, prefixed by `what`.
Status RegistryLoginMissing(std::string_view what, const std::string& registry,
                            std::string_view daemon_message);

}  // namespace jlrec
