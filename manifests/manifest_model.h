// The manifest as declared, before resolution: every value keeps the position it was
// written at, so that resolution (layering, conflicts, dependencies) can still point at
// the line to fix. Produced by ParseManifestDocuments(), consumed by ResolveManifest().
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "manifests/diagnostic.h"
#include "model/container_spec.h"

namespace jlrec {

/// A value and where it was written.
template <typename T>
struct Located {
  T value{};
  SourceLocation where;
};

/// The keys that `defaults`, a group or a unit may set; later layers override earlier ones
/// (defaults < group < unit). Unset keys are nullopt / absent.
struct SettingsLayer {
  SourceLocation where;  ///< the mapping itself
  std::optional<Located<std::string>> image;
  std::optional<Located<std::vector<std::string>>> command;
  std::optional<Located<std::string>> network_mode;
  std::optional<Located<std::vector<std::string>>> volumes;
  std::optional<Located<std::string>> restart;
  std::optional<Located<std::vector<std::string>>> ports;
  std::map<std::string, Located<std::string>> labels;  ///< merged key by key
  std::map<std::string, Located<std::string>> env;     ///< merged key by key, ${VAR} expanded
  std::map<std::string, SourceLocation> secret_env;    ///< union over the layers
  /// The template path resolved against the declaring file's folder (lexically normal).
  std::optional<Located<std::string>> template_path;
  std::optional<Located<Healthcheck>> healthcheck;
  std::optional<Located<bool>> enable_monitor;
  std::optional<Located<std::string>> runtime_mode;
  /// Keys written here with an invalid value (already reported): a unit left without
  /// them is not reported again as missing them.
  std::set<std::string> invalid_keys;
};

/// One entry of `groups:`.
struct GroupDecl {
  std::string name;
  SourceLocation where;  ///< the group's key
  SettingsLayer settings;
  std::optional<Located<std::string>> max_unavailable;
  bool used = false;  ///< set by resolution
};

/// Connection settings from `host_defaults:` or one `hosts:` entry; unset = nullopt.
struct HostSettings {
  SourceLocation where;
  std::optional<Located<std::string>> address;
  /// The OpenSSH config entry to connect through; only in `hosts:` entries (it names one
  /// host), and never without `address` there.
  std::optional<Located<std::string>> ssh_host;
  std::optional<Located<int>> port;
  std::optional<Located<std::string>> user;
  std::optional<Located<std::string>> identity_file;  ///< ~ expanded, made absolute
  std::optional<Located<std::string>> known_hosts;    ///< ~ expanded, made absolute
  std::optional<Located<std::string>> docker_socket;
};

/// One entry of `registries:`: the login for one image registry.
struct RegistryDecl {
  std::string registry;                          ///< the key: HOST[:PORT] (see CheckRegistryHost)
  SourceLocation where;                          ///< the key
  std::optional<Located<std::string>> username;  ///< ${VAR} expanded
  /// The value of the environment variable the password names (a secret; never quoted).
  std::optional<Located<std::string>> password;
};

/// One entry of `units:`.
struct UnitDecl {
  SourceLocation where;  ///< the unit's mapping
  int index = 0;         ///< 0-based position over all files
  std::optional<Located<std::string>> host;
  std::vector<Located<std::string>> dockers;
  std::optional<SourceLocation> dockers_where;
  std::vector<Located<std::string>> groups;
  std::optional<SourceLocation> groups_where;
  bool core = false;
  std::vector<Located<std::string>> depends_on;
  SettingsLayer settings;
};

/// A whole manifest (all its files) as declared.
struct ManifestDecl {
  std::string path;  ///< what the user gave (file or folder)
  std::optional<Located<std::string>> project;
  /// The `state:` key (the CLI reads it before the load: manifests/state_setting.h).
  std::optional<Located<std::string>> state;
  std::optional<Located<int>> max_per_host;
  SettingsLayer defaults;
  std::optional<SourceLocation> defaults_at;  ///< where `defaults:` was declared, if it was
  std::optional<HostSettings> host_defaults;
  std::map<std::string, HostSettings> hosts;  ///< by key
  std::map<std::string, GroupDecl> groups;    ///< by name
  std::vector<UnitDecl> units;                ///< in manifest order
  /// The `registries:` entries, by registry.
  std::map<std::string, RegistryDecl> registries;
};

}  // namespace jlrec
