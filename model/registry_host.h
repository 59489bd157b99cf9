// Which registry an image comes from, the way Docker reads an image reference: the key that
// registry credentials are found by.
#pragma once

#include <optional>
#include <string>

namespace jlrec {

/// Docker Hub, as Docker names its registry in normalised references.
inline constexpr const char* kDockerHubRegistry = "docker.io";

/// The key the docker CLI files Docker Hub's credentials under (config.json `auths`,
/// credential helpers' server URL).
inline constexpr const char* kDockerHubCredentialKey = "https://index.docker.io/v1/";

/// The registry (HOST[:PORT]) image reference `ref` is pulled from: its first path
/// component when that contains '.' or ':' or is "localhost", else Docker Hub
/// (kDockerHubRegistry). "index.docker.io" is Docker Hub's old name and maps to it.
/// "127.0.0.1:5001/team/app:1" -> "127.0.0.1:5001"; "busybox", "team/app:1" -> "docker.io".
std::string RegistryHostOf(const std::string& ref);

/// The key the docker CLI looks `registry` up by in config.json and passes to credential
/// helpers: kDockerHubCredentialKey for Docker Hub, else `registry` itself.
std::string CredentialKeyOf(const std::string& registry);

/// Why `text` cannot be a registry as RegistryHostOf returns it (HOST[:PORT], where HOST has
/// a '.' or a port or is "localhost", or "docker.io"); nullopt when it can. The reasons name
/// the form to write instead (no URL, no path, docker.io for Docker Hub).
std::optional<std::string> CheckRegistryHost(const std::string& text);

}  // namespace jlrec
