#include "providers/registry_auth.h"

#include <cstdlib>

namespace jlrec {

RegistryAuth::RegistryAuth(std::map<std::string, RegistryLogin> logins, ConfigLoader load_config,
                           CredentialHelperRunner run_helper)
    : logins_(std::move(logins)),
      load_config_(std::move(load_config)),
      run_helper_(std::move(run_helper)) {}

Result<std::optional<RegistryCredential>> RegistryAuth::CredentialFor(const std::string& registry) {
  if (auto it = logins_.find(registry); it != logins_.end()) {
    RegistryCredential credential;
    credential.registry = registry;
    credential.username = it->second.username;
    credential.password = it->second.password;
    credential.source = "the manifest's registries:";
    return std::optional<RegistryCredential>(std::move(credential));
  }
  // Held across the helper run on purpose: one run per registry, not one per caller.
  MutexLock lock(mu_);
  if (auto it = found_.find(registry); it != found_.end()) return it->second;
  if (!config_) config_ = load_config_ ? load_config_() : std::optional<DockerClientConfig>();
  Result<std::optional<RegistryCredential>> found = std::optional<RegistryCredential>();
  if (!config_->ok()) {
    found = Status::Unavailable(
        "no login for registry " + registry +
        ": the Docker client configuration cannot be used: " + config_->status().message());
  } else if (**config_) {
    found = CredentialFromClientConfig(***config_, registry, run_helper_);
    if (!found.ok())
      found = Status::Unavailable("no login for registry " + registry + ": " +
                                  found.status().message());
  }
  found_.emplace(registry, found);
  return found;
}

std::shared_ptr<RegistryAuth> MakeRegistryAuth(std::map<std::string, RegistryLogin> logins) {
  return std::make_shared<RegistryAuth>(
      std::move(logins),
      [] {
        return LoadDockerClientConfig(
            DockerClientConfigPath([](const std::string& name) -> std::optional<std::string> {
              const char* value = std::getenv(name.c_str());
              return value ? std::optional<std::string>(value) : std::nullopt;
            }));
      },
      [](const std::string& helper, const std::string& registry) {
        return RunCredentialHelper(helper, registry);
      });
}

bool IsRegistryLoginFailure(std::string_view daemon_message) {
  for (std::string_view sign : {"no basic auth credentials", "unauthorized:",
                                "authentication required", "incorrect username or password"})
    if (daemon_message.find(sign) != std::string_view::npos) return true;
  return false;
}

Status RegistryRefusedLogin(std::string_view what, const RegistryCredential& credential,
                            std::string_view daemon_message) {
  return Status::RemoteError(std::string(what) + ": registry " + credential.registry +
                             " refused the credentials for " + credential.Who() + " (from " +
                             credential.source +
                             "; the daemon said: " + std::string(daemon_message) + ")");
}

Status RegistryLoginMissing(std::string_view what, const std::string& registry,
                            std::string_view daemon_message) {
  return Status::RemoteError(std::string(what) + ": registry " + registry +
                             " requires a login and jlrec has none for it: add it under "
                             "registries: in the manifest, or run docker login " +
                             registry + " (the daemon said: " + std::string(daemon_message) + ")");
}

}  // namespace jlrec
