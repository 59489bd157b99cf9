// The live state: what a refresh saw on the hosts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/container_spec.h"

namespace jlrec {

/// One container as inspected on a host.
struct LiveContainer {
  std::string id;        ///< full container id
  std::string name;      ///< without the leading '/'
  std::string image_id;  ///< "sha256:..." of the image it runs
  ContainerSpec spec;    ///< inspected immutable fields; spec.labels excludes jlrec.*
  std::map<std::string, std::string> jlrec_labels;  ///< the jlrec.* labels only
  std::string state;   ///< Docker State.Status: running, exited, created, paused, ...
  std::string health;  ///< Docker State.Health.Status (starting, healthy, unhealthy), "" if none
  /// Docker RestartCount: how often the daemon restarted the container by its restart policy
  /// since it was last started through the API (a start or restart resets it to 0).
  int restart_count = 0;
  int exit_code = 0;       ///< Docker State.ExitCode: the last exit's code (meaningful once exited)
  std::string created;     ///< RFC 3339
  std::string started_at;  ///< RFC 3339, "" if never started
  /// RFC 3339 of the last exit (Docker State.FinishedAt), "" if it never exited; what
  /// `jlrec ps` shows of a stopped container. Not kept in the state cache.
  std::string finished_at;
  /// sha256 of /run.sh inside the container; nullopt if the file is absent.
  std::optional<std::string> script_digest;
  /// Provider::StatFile key of /run.sh when script_digest was taken ("" when unknown), so
  /// a later refresh can reuse the digest while the file is untouched.
  std::string script_stat;
  /// The `export NAME='value'` block parsed from that /run.sh, to explain env changes.
  /// Only kept in memory for the plan being made: never written to the state cache, since
  /// it holds secret values in clear.
  std::map<std::string, std::string> script_env;
  /// That /run.sh itself, when a refresh read it and its digest is not the one the manifest
  /// wants (the plan shows the diff; a container in sync keeps none, so a large fleet holds
  /// no scripts). Like script_env, only kept in memory for the plan being made: never
  /// written to the state cache, since it holds secret values in clear.
  std::optional<std::string> script_content;
  /// True when the container carries jlrec.project (of any project).
  bool managed() const { return jlrec_labels.count(labels::kProject) != 0; }
  /// True when the container is running (Docker State.Running).
  bool running() const { return state == "running"; }
  /// True while the daemon is between two restarts of a process that keeps exiting
  /// (Docker State.Restarting).
  bool restarting() const { return state == "restarting"; }
};

/// How one refresh reached one host (`jlrec plan -v`, the benchmarks).
struct HostTraffic {
  /// Opening the provider: TCP, the SSH handshake and authentication, the first channel to
  /// the Docker socket and the API version.
  double connect_ms = 0;
  double requests_ms = 0;  ///< everything after that, until the host's snapshot was made
  int requests = 0;        ///< Docker API requests after connect
  int streams_opened = 0;  ///< channels opened after connect
  /// The longest chain of waits after connect each begun after the previous one ended:
  /// the host's cost in round trips where latency dominates.
  int sequential_round_trips = 0;
  int inspected = 0;  ///< containers inspected
  int reused = 0;     ///< containers taken from the state cache (nothing about them changed)
};

/// What a refresh learned about one host; when !reachable, containers are UNKNOWN.
struct HostSnapshot {
  std::string host;                       ///< host key
  bool reachable = false;                 ///< false: could not connect/auth/verify or docker failed
  std::string error;                      ///< why not reachable (never contains secrets)
  std::int64_t observed_at = 0;           ///< unix seconds of the observation
  bool from_cache = false;                ///< loaded from the state store rather than refreshed now
  std::vector<LiveContainer> containers;  ///< project containers + wanted names
  /// Registry digest ("sha256:...") of each wanted image tag, asked via this host's daemon;
  /// a tag whose check failed maps to "" with the reason in image_check_errors.
  /// Not cached: a plan from the cache does not check tags.
  std::map<std::string, std::string> registry_digests;
  /// Why a registry check failed, by image tag (a warning for the plan, never a replace).
  std::map<std::string, std::string> image_check_errors;
  /// RepoDigests ("repo@sha256:...") of the images the containers run, by image id.
  std::map<std::string, std::vector<std::string>> image_repo_digests;
  /// Wanted image references that exist neither in their registry (it answered "not found")
  /// nor on this host, with the registry's answer: a container needing one cannot be made.
  /// Not cached, like registry_digests.
  std::map<std::string, std::string> missing_images;
  /// How this refresh reached the host (all zero for a provider that does not count, an
  /// in-memory one); absent for a cached snapshot or an unreachable host. Not cached.
  std::optional<HostTraffic> traffic;
};

/// The result of refreshing a set of hosts.
struct RefreshResult {
  std::vector<HostSnapshot> hosts;  ///< one per host asked, in the order asked
  /// The snapshot of `host`, or nullptr if it was not part of the refresh.
  const HostSnapshot* Find(const std::string& host) const {
    for (const auto& h : hosts)
      if (h.host == host) return &h;
    return nullptr;
  }
};

}  // namespace jlrec
