// The local state: a cache of what refreshes saw, the journal of runs, and locks.
// Behind an interface so the engine and CLI never see SQLite.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/action_failure.h"
#include "model/adoption.h"
#include "model/live_state.h"
#include "model/release_record.h"
#include "model/status.h"

namespace jlrec {

/// One run of a command that touches or checks hosts (apply, drift, refresh).
struct RunRecord {
  std::int64_t id = 0;
  std::string kind;  ///< "apply", "drift", "refresh"
  std::string project;
  std::vector<std::string> groups;
  std::int64_t started_at = 0;   ///< unix seconds
  std::int64_t finished_at = 0;  ///< 0 while running (or if the process died)
  std::string result;            ///< "running", "ok", "failed", "drift", "interrupted", ...
  std::string detail;            ///< free text / JSON summary (never secrets)
  std::string owner;             ///< who ran it: local user@hostname ("" for older runs)
  std::string manifest_digest;   ///< DesiredState::manifest_digest it ran with ("" unknown)
  std::string jlrec_version;     ///< the jlrec version that ran it ("" unknown)
};

/// One action of a run, written when it starts and again when it ends.
struct ActionRecord {
  std::int64_t id = 0;
  std::int64_t run_id = 0;
  std::string action;     ///< "create", "replace", "update", "start", "remove", or a finding
  std::string container;  ///< "host/container"
  std::int64_t started_at = 0;
  std::int64_t finished_at = 0;  ///< 0 while running
  std::string result;            ///< "running", "succeeded", "failed", "skipped", ...
  std::string error;             ///< Docker/SSH error text for failures
};

/// Who holds a lock.
struct LockInfo {
  std::string name;        ///< e.g. "apply:<project>" or "drift:<project>"
  std::string owner;       ///< user@machine
  std::int64_t pid = 0;    ///< holder's pid on `hostname`
  std::string hostname;    ///< control machine that holds it
  std::int64_t since = 0;  ///< unix seconds
};

/// What the cache knows about one host of a project (for `jlrec show`).
struct CachedHostRecord {
  std::string host;                  ///< host key
  bool reachable = false;            ///< outcome of the latest refresh attempt
  std::string error;                 ///< why the latest attempt failed ("" when reachable)
  std::int64_t last_refresh_at = 0;  ///< unix seconds of the latest attempt
  std::int64_t last_success_at = 0;  ///< unix seconds of the latest successful one, 0 = never
  std::int64_t container_count = 0;  ///< cached containers (stale when !reachable)
};

/// One difference a drift check found.
struct DriftFinding {
  std::string container;  ///< "host/container" ("host" alone for a host-level finding)
  std::string kind;       ///< missing, stopped, script_changed, spec_changed, conflict, orphan,
                          ///< unknown (host unreachable), ...
  std::string detail;     ///< e.g. the differing spec fields (never secret values)
  bool operator==(const DriftFinding&) const = default;
};

/// One drift check (issue 7): when, which groups, the outcome and what it found.
struct DriftCheckRecord {
  std::int64_t id = 0;  ///< assigned by RecordDriftCheck
  std::string project;
  std::vector<std::string> groups;  ///< groups checked
  std::int64_t checked_at = 0;      ///< unix seconds (0 when recording = now)
  std::string result;               ///< "in_sync", "drift" or "error"
  std::string detail;               ///< one-line summary or the error (never secrets)
  std::vector<DriftFinding> findings;
};

/// A resolved manifest as cached (see manifests/resolved_manifest_codec.h): opaque to the
/// store. Holds no secrets: the model has no env values, the inputs only paths and names.
struct ResolvedManifestRecord {
  std::string manifest;       ///< absolute path of the manifest file or folder (the key)
  std::string inputs;         ///< EncodeManifestInputs of what the load read
  std::string inputs_digest;  ///< DigestInputs when it was loaded (the CLI stores it keyed)
  std::string model;          ///< EncodeResolvedManifest bytes (the CLI prefixes its MAC)
  std::int64_t saved_at = 0;  ///< unix seconds
};

/// The state store. Implementations are safe to use from one thread at a time per object;
/// several processes may open the same file concurrently (writers wait for each other).
///
/// Nothing here stores environment values (LiveContainer carries none). Free-text fields
/// (RunRecord::detail, ActionRecord::error, HostSnapshot::error, DriftCheckRecord::detail,
/// DriftFinding::detail, ActionFailure::reason) are stored as given: callers must never put
/// secret values in them.
struct StateDump;  // model/state_dump.h

class StateStore {
 public:
  virtual ~StateStore() = default;

  /// Records a refresh of one host. Reachable: replaces the host's container rows in one
  /// transaction. Unreachable: keeps the previous rows, marks them stale, stores the error.
  virtual Status SaveSnapshot(const std::string& project, const HostSnapshot& snapshot) = 0;
  /// Saves several snapshots in ONE transaction (the refresh's normal path).
  virtual Status SaveSnapshots(const std::string& project,
                               const std::vector<HostSnapshot>& snapshots) = 0;
  /// The cached snapshot of each of `hosts` (from_cache = true; observed_at = time of the
  /// last successful observation). A host never refreshed yields reachable=false with
  /// error "never refreshed".
  virtual Result<std::vector<HostSnapshot>> LoadSnapshots(
      const std::string& project, const std::vector<std::string>& hosts) = 0;

  /// Starts a run; returns its id.
  virtual Result<std::int64_t> BeginRun(const RunRecord& run) = 0;
  /// Marks run `id` finished with `result` and `detail`.
  virtual Status FinishRun(std::int64_t id, const std::string& result,
                           const std::string& detail) = 0;
  /// Inserts an action row (result usually "running"); returns its id. Committed at once.
  virtual Result<std::int64_t> RecordActionStart(const ActionRecord& action) = 0;
  /// Sets the end time, result and error of action `id`. Committed at once.
  virtual Status RecordActionEnd(std::int64_t id, const std::string& result,
                                 const std::string& error) = 0;
  /// The newest runs first, at most `limit` (<= 0: no limit), of `project` ("" = every
  /// project: a state may hold several) and `kind` ("" = all) started at/after `since`.
  virtual Result<std::vector<RunRecord>> ListRuns(const std::string& project,
                                                  const std::string& kind, int limit,
                                                  std::int64_t since) = 0;
  /// Run `id`, or nullopt when the journal has none.
  virtual Result<std::optional<RunRecord>> LoadRun(std::int64_t id) = 0;
  /// The actions of run `run_id`, in insertion order.
  virtual Result<std::vector<ActionRecord>> ListActions(std::int64_t run_id) = 0;
  /// Actions of `project`'s runs still marked "running": what a killed jlrec left unfinished
  /// (or what a concurrent apply is doing right now), newest first.
  virtual Result<std::vector<ActionRecord>> ListUnfinishedActions(const std::string& project) = 0;

  /// Records the release record of run `run_id` (one transaction), replacing any earlier one
  /// of that run. kNotFound for an unknown run.
  virtual Status RecordRelease(std::int64_t run_id,
                               const std::vector<ReleasedContainer>& containers) = 0;
  /// The release record of run `run_id` in recorded order (empty when none was recorded).
  virtual Result<std::vector<ReleasedContainer>> ListRelease(std::int64_t run_id) = 0;

  /// Remembers `failure` of `project`, replacing the one of the same host and container.
  virtual Status SaveFailure(const std::string& project, const ActionFailure& failure) = 0;
  /// Forgets the failure of `host`/`container` in `project`; ok when there is none.
  virtual Status ClearFailure(const std::string& project, const std::string& host,
                              const std::string& container) = 0;
  /// Every remembered failure of `project`, sorted by host and container.
  virtual Result<std::vector<ActionFailure>> ListFailures(const std::string& project) = 0;

  /// Records that `project` adopted `adoption`'s container, replacing the record of the same
  /// host and container.
  virtual Status SaveAdoption(const std::string& project, const Adoption& adoption) = 0;
  /// Forgets the adoption of `host`/`container` in `project` (it was replaced or removed); ok
  /// when there is none.
  virtual Status ClearAdoption(const std::string& project, const std::string& host,
                               const std::string& container) = 0;
  /// Every adoption of `project`, sorted by host and container.
  virtual Result<std::vector<Adoption>> ListAdoptions(const std::string& project) = 0;

  /// Takes lock `info.name`, waiting up to `timeout`. A lock whose holder pid is dead on
  /// this machine is taken over (the returned optional holds the dead holder, for a
  /// warning). kConflict naming the holder when it stays held.
  virtual Result<std::optional<LockInfo>> AcquireLock(const LockInfo& info,
                                                      std::chrono::milliseconds timeout) = 0;
  /// Releases lock `name` if held by `pid`.
  virtual Status ReleaseLock(const std::string& name, std::int64_t pid) = 0;
  /// Removes lock `name` whoever holds it; returns the previous holder if any.
  virtual Result<std::optional<LockInfo>> ForceUnlock(const std::string& name) = 0;
  /// The current holder of lock `name`, if any.
  virtual Result<std::optional<LockInfo>> LockHolder(const std::string& name) = 0;

  /// Every host of `project` the cache has seen, sorted by host key.
  virtual Result<std::vector<CachedHostRecord>> ListCachedHosts(const std::string& project) = 0;

  /// Records `check` and its findings in one transaction; returns its id. kInvalidArgument
  /// when the result is not "in_sync", "drift" or "error".
  virtual Result<std::int64_t> RecordDriftCheck(const DriftCheckRecord& check) = 0;
  /// The drift checks of `project` checked at/after `since`, newest first, at most `limit`
  /// (<= 0: no limit), each with its findings in recorded order.
  virtual Result<std::vector<DriftCheckRecord>> ListDriftChecks(const std::string& project,
                                                                std::int64_t since, int limit) = 0;

  /// The cached resolution of manifest `manifest` (absolute path), if any.
  virtual Result<std::optional<ResolvedManifestRecord>> LoadResolvedManifest(
      const std::string& manifest) = 0;
  /// The inputs digest cached for `manifest` ("" when none): to skip rewriting an equal record.
  virtual Result<std::string> ResolvedManifestDigest(const std::string& manifest) = 0;
  /// Stores `record`, replacing the one of the same manifest.
  virtual Status SaveResolvedManifest(const ResolvedManifestRecord& record) = 0;

  /// Records `key_id` as the id of the state key `project`'s digests are made under (a value
  /// derived from the key that reveals nothing of it: state/state_key.h), unless one is
  /// recorded already; returns the recorded one: `key_id`, or another whose key the caller
  /// does not have (its digests would then never match what the others wrote).
  virtual Result<std::string> ClaimStateKeyId(const std::string& project,
                                              const std::string& key_id) = 0;
  /// Forgets the key id recorded for `project` (its key is lost for good: the next claim
  /// records another); ok when there is none.
  virtual Status ForgetStateKeyId(const std::string& project) = 0;

  /// Everything this state holds that StateDump carries, read in one consistent snapshot.
  virtual Result<StateDump> ExportState() = 0;
  /// Writes `dump` in ONE transaction. kConflict, writing nothing, when this state already
  /// holds anything (journal, drift history, failures, adoptions, cached hosts, key id) of a
  /// project of the dump, unless `replace`: then those projects' data is deleted first, in
  /// the same transaction. Other projects are never touched. Runs, actions and drift checks
  /// get new ids here; the references to them (failures' and adoptions' run_id, release
  /// records) follow (a run_id naming a run the dump does not hold becomes 0).
  virtual Status ImportState(const StateDump& dump, bool replace) = 0;
};

}  // namespace jlrec
