// StateStore on PostgreSQL: one session for reads and writes (every method one statement or
// one transaction on it), and one more session per held lock (state/postgres_locks.h).
// A lost session (the server restarted) fails the call that met it with kUnavailable, and
// the next call connects again: a long-lived `jlrec serve` recovers by itself.
#include "state/postgres_state_store.h"

#include <memory>
#include <utility>

#include "model/state_dump.h"
#include "state/guarded_call.h"
#include "state/local_process.h"
#include "state/pg_connection.h"
#include "state/postgres_adoptions.h"
#include "state/postgres_drift_history.h"
#include "state/postgres_dump.h"
#include "state/postgres_failures.h"
#include "state/postgres_journal.h"
#include "state/postgres_key_ids.h"
#include "state/postgres_locks.h"
#include "state/postgres_resolved_manifests.h"
#include "state/postgres_schema.h"
#include "state/postgres_snapshot_cache.h"

namespace jlrec {

namespace {

constexpr const char* kApplicationName = "jlrec";

class PostgresStateStore final : public StateStore {
 public:
  explicit PostgresStateStore(PgConnection conn)
      : conn_(std::move(conn)), locks_(conn_.url(), conn_), machine_(LocalHostname()) {}

  Status SaveSnapshot(const std::string& project, const HostSnapshot& snapshot) override {
    return Call("saving a host snapshot", [&] {
      return PgSaveSnapshots(conn_, project, std::vector<HostSnapshot>{snapshot});
    });
  }

  Status SaveSnapshots(const std::string& project,
                       const std::vector<HostSnapshot>& snapshots) override {
    return Call("saving host snapshots",
                [&] { return PgSaveSnapshots(conn_, project, snapshots); });
  }

  Result<std::vector<HostSnapshot>> LoadSnapshots(const std::string& project,
                                                  const std::vector<std::string>& hosts) override {
    return Call("loading host snapshots", [&] { return PgLoadSnapshots(conn_, project, hosts); });
  }

  Result<std::int64_t> BeginRun(const RunRecord& run) override {
    return Call("recording a run start", [&] { return PgBeginRun(conn_, run); });
  }

  Status FinishRun(std::int64_t id, const std::string& result, const std::string& detail) override {
    return Call("recording a run end", [&] { return PgFinishRun(conn_, id, result, detail); });
  }

  Result<std::int64_t> RecordActionStart(const ActionRecord& action) override {
    return Call("recording an action start", [&] { return PgRecordActionStart(conn_, action); });
  }

  Status RecordActionEnd(std::int64_t id, const std::string& result,
                         const std::string& error) override {
    return Call("recording an action end",
                [&] { return PgRecordActionEnd(conn_, id, result, error); });
  }

  Result<std::vector<RunRecord>> ListRuns(const std::string& project, const std::string& kind,
                                          int limit, std::int64_t since) override {
    return Call("listing runs", [&] { return PgListRuns(conn_, project, kind, limit, since); });
  }

  Result<std::optional<RunRecord>> LoadRun(std::int64_t id) override {
    return Call("reading a run", [&] { return PgLoadRun(conn_, id); });
  }

  Result<std::vector<ActionRecord>> ListActions(std::int64_t run_id) override {
    return Call("listing actions", [&] { return PgListActions(conn_, run_id); });
  }

  Result<std::vector<ActionRecord>> ListUnfinishedActions(const std::string& project) override {
    return Call("listing unfinished actions",
                [&] { return PgListUnfinishedActions(conn_, project); });
  }

  Status RecordRelease(std::int64_t run_id,
                       const std::vector<ReleasedContainer>& containers) override {
    return Call("recording a release", [&] { return PgRecordRelease(conn_, run_id, containers); });
  }

  Result<std::vector<ReleasedContainer>> ListRelease(std::int64_t run_id) override {
    return Call("reading a release record", [&] { return PgListRelease(conn_, run_id); });
  }

  Status SaveFailure(const std::string& project, const ActionFailure& failure) override {
    return Call("recording a failed action",
                [&] { return PgSaveFailure(conn_, project, failure); });
  }

  Status ClearFailure(const std::string& project, const std::string& host,
                      const std::string& container) override {
    return Call("forgetting a failed action",
                [&] { return PgClearFailure(conn_, project, host, container); });
  }

  Result<std::vector<ActionFailure>> ListFailures(const std::string& project) override {
    return Call("listing failed actions", [&] { return PgListFailures(conn_, project); });
  }

  Status SaveAdoption(const std::string& project, const Adoption& adoption) override {
    return Call("recording an adoption", [&] { return PgSaveAdoption(conn_, project, adoption); });
  }

  Status ClearAdoption(const std::string& project, const std::string& host,
                       const std::string& container) override {
    return Call("forgetting an adoption",
                [&] { return PgClearAdoption(conn_, project, host, container); });
  }

  Result<std::vector<Adoption>> ListAdoptions(const std::string& project) override {
    return Call("listing adoptions", [&] { return PgListAdoptions(conn_, project); });
  }

  Result<std::optional<LockInfo>> AcquireLock(const LockInfo& info,
                                              std::chrono::milliseconds timeout) override {
    return Call("taking a lock", [&] { return locks_.Acquire(info, timeout); });
  }

  Status ReleaseLock(const std::string& name, std::int64_t pid) override {
    return Call("releasing a lock", [&] { return locks_.Release(name, pid); });
  }

  Result<std::optional<LockInfo>> ForceUnlock(const std::string& name) override {
    return Call("removing a lock", [&] { return locks_.ForceUnlock(name); });
  }

  Result<std::optional<LockInfo>> LockHolder(const std::string& name) override {
    return Call("reading a lock", [&] { return locks_.Holder(name); });
  }

  Result<std::vector<CachedHostRecord>> ListCachedHosts(const std::string& project) override {
    return Call("listing cached hosts", [&] { return PgListCachedHosts(conn_, project); });
  }

  Result<std::int64_t> RecordDriftCheck(const DriftCheckRecord& check) override {
    return Call("recording a drift check", [&] { return PgRecordDriftCheck(conn_, check); });
  }

  Result<std::vector<DriftCheckRecord>> ListDriftChecks(const std::string& project,
                                                        std::int64_t since, int limit) override {
    return Call("listing drift checks",
                [&] { return PgListDriftChecks(conn_, project, since, limit); });
  }

  Result<std::optional<ResolvedManifestRecord>> LoadResolvedManifest(
      const std::string& manifest) override {
    return Call("reading the resolved manifest cache",
                [&] { return PgLoadResolvedManifest(conn_, machine_, manifest); });
  }

  Result<std::string> ResolvedManifestDigest(const std::string& manifest) override {
    return Call("reading the resolved manifest cache",
                [&] { return PgResolvedManifestDigest(conn_, machine_, manifest); });
  }

  Status SaveResolvedManifest(const ResolvedManifestRecord& record) override {
    return Call("saving the resolved manifest cache",
                [&] { return PgSaveResolvedManifest(conn_, machine_, record); });
  }

  Result<std::string> ClaimStateKeyId(const std::string& project,
                                      const std::string& key_id) override {
    return Call("recording the state key id",
                [&] { return PgClaimStateKeyId(conn_, project, key_id); });
  }

  Status ForgetStateKeyId(const std::string& project) override {
    return Call("forgetting the state key id", [&] { return PgForgetStateKeyId(conn_, project); });
  }

  Result<StateDump> ExportState() override {
    return Call("exporting the state", [&] { return PgExportState(conn_); });
  }

  Status ImportState(const StateDump& dump, bool replace) override {
    return Call("importing a state", [&] { return PgImportState(conn_, dump, replace); });
  }

 private:
  // Every call: reconnect if the session was lost since the last one, then the body, with
  // exceptions stopped here.
  template <typename F>
  auto Call(const char* what, F&& body) -> decltype(body()) {
    return GuardedCall(what, [&]() -> decltype(body()) {
      Status connected = conn_.EnsureConnected();
      if (!connected.ok()) return connected;
      return body();
    });
  }

  PgConnection conn_;
  PostgresLocks locks_;
  std::string machine_;
};

}  // namespace

Result<std::unique_ptr<StateStore>> OpenPostgresStateStore(const std::string& url) {
  return GuardedCall("opening the state database", [&]() -> Result<std::unique_ptr<StateStore>> {
    Result<PgConnection> conn = PgConnection::Open(url, kApplicationName);
    if (!conn.ok()) return conn.status();
    Status migrated = MigratePostgresSchema(*conn, PostgresStateMigrations());
    if (!migrated.ok()) return migrated;
    return std::unique_ptr<StateStore>(std::make_unique<PostgresStateStore>(std::move(*conn)));
  });
}

}  // namespace jlrec
