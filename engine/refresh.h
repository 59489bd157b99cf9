// Refresh: read the live state of many hosts at once, one connection per host.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "model/desired_state.h"
#include "model/live_state.h"
#include "model/mutex.h"
#include "model/provider.h"
#include "model/thread_annotations.h"

namespace jlrec {

/// What an earlier refresh read of a container's /run.sh.
struct KnownScript {
  std::string stat;    ///< Provider::StatFile key then
  std::string digest;  ///< sha256 of the content then
};
/// Known scripts by container id (ids are unique across hosts).
using KnownScripts = std::unordered_map<std::string, KnownScript>;

/// The containers the state cache holds, for Provider::ReadContainers to reuse those nothing
/// happened to since (see ContainerReadRequest::known).
struct KnownContainers {
  /// Takes the cached snapshots; only reachable hosts' containers are known.
  explicit KnownContainers(std::vector<HostSnapshot> cached);
  KnownContainers(const KnownContainers&) = delete;
  KnownContainers& operator=(const KnownContainers&) = delete;
  std::vector<HostSnapshot> snapshots;  ///< what by_host points into
  /// Host key -> the containers its last read saw, by id. Per host: a provider asks round one's
  /// stats and image inspects for each known container, which must be this host's only.
  std::map<std::string, std::unordered_map<std::string, const LiveContainer*>> by_host;
  std::map<std::string, std::int64_t> observed_at;  ///< host key -> when it was read
};

/// Registry answers shared by the hosts of one refresh: the digest of a tag is asked once per
/// run, by the first host that wants it, while the hosts that want it too wait for that answer
/// instead of each asking (one registry lookup per image, not per host). Thread-safe.
class RegistryDigestMemo {
 public:
  /// The registry digest of tag `image`, asked through `provider` unless another host has
  /// asked or is asking (then its answer). Only answers about the registry are shared (a
  /// digest, kNotFound): after any other failure the next host that wants it asks itself.
  Result<std::string> Resolve(const std::string& image, Provider& provider) EXCLUDES(mu_);

 private:
  struct Entry {
    bool asking = false;                        // a host's request is under way
    std::optional<Result<std::string>> answer;  // once shared
  };
  Mutex mu_;
  std::condition_variable cv_;  // notified (unlocked) when a request ends
  std::map<std::string, Entry> entries_ GUARDED_BY(mu_);
};

/// How to refresh.
struct RefreshOptions {
  int parallelism = 32;             ///< hosts contacted at once
  ConnectOptions connect;           ///< timeouts and host-key policy
  bool check_image_digests = true;  ///< ask registries whether wanted tags moved
  /// From the state cache. A container whose /run.sh has the same stat key as then, and
  /// whose digest then is the one the manifest wants now, is not read again: reading a file
  /// costs the Docker daemon a helper process (~80 ms), a stat ~2 ms. Any other container
  /// (changed, unknown, or about to be updated, whose env the plan explains) is read.
  std::shared_ptr<const KnownScripts> known_scripts;
  /// From the state cache: containers a host's daemon reports nothing new about are not
  /// inspected again (Provider::ReadContainers).
  std::shared_ptr<const KnownContainers> known_containers;
  /// Host key -> names of containers to read besides the manifest's: the ones adopted into
  /// this project (they carry no label, so a container adopted and then dropped from the
  /// manifest is found, as an orphan, only by name).
  std::shared_ptr<const std::map<std::string, std::vector<std::string>>> adopted_names;
  /// Give up on hosts still pending at this point (they are reported as timed out).
  /// Default: no global deadline (connect/request timeouts still apply).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  /// The state key: live /run.sh digests are ScriptDigest under it, as the manifest's are
  /// (LoadOptions::script_key). Empty: this process's random key (tests).
  std::string script_key;
};

/// The threads of a refresh. A refresh returns by its deadline, so a worker still talking to
/// a hung host may outlive it; its threads stay joinable here, so that a process can wait for
/// them (each connect and request has its own timeout) instead of exiting under them.
class RefreshWorkers {
 public:
  /// Tracks how many of the workers have not returned yet.
  struct Count {
    /// `workers` workers, none returned yet.
    explicit Count(std::size_t workers) : running(workers) {}
    Mutex mu;
    std::condition_variable cv;              ///< notified as each worker returns
    std::size_t running GUARDED_BY(mu) = 0;  ///< workers that have not returned
  };
  RefreshWorkers(std::vector<std::thread> threads, std::shared_ptr<Count> count);
  RefreshWorkers(const RefreshWorkers&) = delete;
  RefreshWorkers& operator=(const RefreshWorkers&) = delete;
  /// Waits until every worker has returned, or `deadline`; true when all have (and are
  /// joined).
  bool JoinUntil(std::chrono::steady_clock::time_point deadline) EXCLUDES(count_->mu);
  /// Joins the workers once all have returned (waiting 2 s at most). One still running (the
  /// process is leaving without JoinUntil) is detached rather than waited for: it owns what
  /// it uses.
  ~RefreshWorkers();

 private:
  std::vector<std::thread> threads_;
  std::shared_ptr<Count> count_;
};

/// The refresh's result plus the open connections, kept for an apply in the same run.
struct RefreshOutcome {
  RefreshResult result;  ///< one snapshot per host asked, in the order asked
  std::map<std::string, std::shared_ptr<Provider>> providers;  ///< reachable hosts only
  /// The refresh's threads: all returned unless the deadline cut the refresh short.
  std::shared_ptr<RefreshWorkers> workers;
};

/// Refreshes `hosts` (keys of desired.hosts) in parallel: for each, every container of
/// desired.project plus every container whose name the manifest wants there, the sha256 and
/// env block of its /run.sh (and the script itself when it is not the one the manifest
/// renders: LiveContainer::script_content), and (if asked) the registry digest of each wanted
/// image tag.
/// A host that fails at any step is unreachable with the reason, never "empty". Returns by
/// options.deadline at the latest: hosts still pending then are reported as timed out (their
/// workers finish in the background, which is why the factory is shared).
RefreshOutcome RefreshHosts(const DesiredState& desired, const std::vector<std::string>& hosts,
                            std::shared_ptr<ProviderFactory> factory,
                            const RefreshOptions& options);

/// Re-reads the hosts behind already open `providers` (host key -> provider), `parallelism`
/// at a time, without registry checks: what apply uses to record what it left behind.
/// `known_scripts` and `known_containers` as in RefreshOptions (apply's own uploads included,
/// see ScriptLedger); `script_key` as RefreshOptions::script_key.
std::vector<HostSnapshot> RefreshOpenHosts(const DesiredState& desired,
                                           const std::map<std::string, Provider*>& providers,
                                           int parallelism, const std::string& script_key,
                                           const KnownScripts* known_scripts = nullptr,
                                           const KnownContainers* known_containers = nullptr);

/// Records in `snapshot.missing_images` each of `images` that `provider`'s host does not have
/// and whose registry answers that it does not exist (an unanswered question records
/// nothing: only a sure "nowhere" makes a plan fail).
void NoteMissingImages(Provider& provider, const std::set<std::string>& images,
                       HostSnapshot& snapshot);

/// Refreshes one host through an open provider (the per-host part of RefreshHosts);
/// `extra_names` are read besides the manifest's names (RefreshOptions::adopted_names);
/// `script_key` as RefreshOptions::script_key. The first request that gets no answer in time
/// (kTimeout) makes the host unreachable with that error: no further request waits on it
/// (FencedProvider). `known_containers` as RefreshOptions::known_containers; `digests`
/// shares registry answers with the other hosts of the refresh (null: this host asks itself).
HostSnapshot RefreshHost(const DesiredState& desired, Provider& provider, bool check_image_digests,
                         const std::string& script_key, const KnownScripts* known_scripts = nullptr,
                         const std::vector<std::string>* extra_names = nullptr,
                         const KnownContainers* known_containers = nullptr,
                         RegistryDigestMemo* digests = nullptr);

}  // namespace jlrec
