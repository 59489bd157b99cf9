// The desired state: what the manifest wants, fully resolved. The engine's only input
// from the manifest; produced by manifests/, never read from YAML by the engine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/container_spec.h"

namespace jlrec {

/// How to reach one host's Docker daemon over SSH.
struct HostConnection {
  std::string key;  ///< the `host` value units use (map key in `hosts:`)
  /// What containers are told (JL_HOST, JL_MASTER_HOST); also the SSH target when
  /// `ssh_host` is empty.
  std::string address;
  int port = 22;              ///< SSH port
  std::string user;           ///< SSH user ("" = from ~/.ssh/config or current user)
  std::string identity_file;  ///< private key path ("" = agent / default keys)
  std::string known_hosts;    ///< known_hosts path ("" = ~/.ssh/known_hosts)
  std::string docker_socket = "/var/run/docker.sock";  ///< path on the host
  /// The OpenSSH client configuration entry (`Host` pattern) to connect through: its
  /// HostName, User, Port, IdentityFile, ProxyJump apply. "" = connect to `address`.
  /// Last, and with an initializer of its own, so that positional initializers written
  /// before it still mean what they say and compile without a missing-field warning.
  std::string ssh_host{};
  bool operator==(const HostConnection&) const = default;
};

/// The login for one image registry, from the manifest's `registries:`.
struct RegistryLogin {
  std::string registry;  ///< HOST[:PORT] as image references name it ("docker.io": Docker Hub)
  std::string username;  ///< shown in messages ("refused the credentials for USER")
  std::string password;  ///< a secret: never printed, logged, digested or stored
  bool operator==(const RegistryLogin&) const = default;
};

/// A group as declared under `groups:` (the legacy deploy_system arguments).
struct GroupSettings {
  std::string name;
  bool enable_monitor = false;  ///< -> MONITOR_ENABLED=true/false
  std::string runtime_mode;     ///< -> RUNTIME_MODE
  std::string max_unavailable;  ///< rolling budget: "N" or "N%" ("" = default 25%)
};

/// One container the manifest wants on one host, with everything resolved.
struct DesiredContainer {
  std::string host;                        ///< host key (see HostConnection::key)
  std::string name;                        ///< container name, unique per host
  std::vector<std::string> groups;         ///< sorted group names the unit belongs to
  bool core = false;                       ///< unit is its group's master
  int unit_index = 0;                      ///< position of the unit in the manifest (0-based)
  ContainerSpec spec;                      ///< immutable part (compared to decide replace)
  std::map<std::string, std::string> env;  ///< every exported variable, secrets included
  std::set<std::string> secret_env;        ///< env names never shown or stored in clear
  std::string script;                      ///< rendered /run.sh bytes
  std::string script_digest;               ///< Sha256Hex(script)
  std::string spec_digest;                 ///< SpecDigest(spec)
  std::vector<std::string> depends_on;     ///< "host/container" this one waits for
  /// "host/container": the address used in plans, targets and depends_on.
  std::string Ref() const { return host + "/" + name; }
};

/// The whole desired state of a project.
struct DesiredState {
  std::string project;                          ///< value of the jlrec.project label
  std::string manifest_path;                    ///< where it was loaded from
  std::string manifest_digest;                  ///< sha256 over the resolved model
  std::map<std::string, HostConnection> hosts;  ///< by key
  std::map<std::string, GroupSettings> groups;  ///< by name
  std::vector<DesiredContainer> containers;     ///< in manifest order
  int max_per_host = 4;                         ///< apply: actions at once on one host
  /// Logins for pulls and registry digest checks, by registry (RegistryLogin::registry).
  /// Not part of the manifest digest (they say how images are fetched, not what runs) and
  /// never in the resolved-manifest cache: a state read from it has none.
  std::map<std::string, RegistryLogin> registries;
  /// True when this came from the resolved-manifest cache: every container has its digests
  /// but no rendered script and no env values (secrets are never cached). Enough for a plan
  /// from the state cache; never for apply, which renders the scripts it uploads.
  bool digests_only = false;
};

}  // namespace jlrec
