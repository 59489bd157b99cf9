// StateStore on one SQLite file: WAL so readers never wait for the writer, a busy timeout so
// concurrent jlrec processes (a cron drift check during an apply) queue instead of failing,
// foreign keys so containers, actions and release records never outlive their host and run.
#include <memory>
#include <utility>

#include "model/state_dump.h"
#include "model/state_store.h"
#include "state/adoption_table.h"
#include "state/drift_history.h"
#include "state/failure_table.h"
#include "state/guarded_call.h"
#include "state/lock_table.h"
#include "state/release_table.h"
#include "state/resolved_manifest_table.h"
#include "state/run_journal.h"
#include "state/schema_migrations.h"
#include "state/snapshot_cache.h"
#include "state/sqlite_db.h"
#include "state/sqlite_key_ids.h"
#include "state/sqlite_state_dump.h"
#include "state/sqlite_state_store.h"
#include "state/state_file.h"

namespace jlrec {

namespace {

// Long enough to outlast any single write transaction of another jlrec process (a full
// refresh of thousands of containers commits in well under a second).
constexpr int kBusyTimeoutMs = 15000;

Status ConfigureConnection(SqliteDatabase& db) {
  // The busy timeout first: switching to WAL on a fresh file needs the write lock.
  Status s = db.Exec("PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs));
  if (!s.ok()) return s;
  std::string mode;
  {
    // Scoped so the statement is finished before the pragmas below run.
    Result<SqliteStatement> wal = db.Prepare("PRAGMA journal_mode = WAL");
    if (!wal.ok()) return wal.status();
    Result<bool> row = wal->Step();
    if (!row.ok()) return row.status();
    if (*row) mode = wal->ColumnText(0);
  }
  if (mode != "wal")
    return Status::IoError("could not switch " + db.path() + " to WAL mode (journal mode is \"" +
                           mode + "\")");
  // FULL: a journal entry survives a power cut once its call returned, not just a crash.
  // A 32 MiB page cache (allocated only as used) keeps a whole-fleet refresh of ~10,000
  // containers in memory until its single commit instead of spilling mid-transaction.
  return db.Exec(
      "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA trusted_schema = OFF;"
      "PRAGMA cache_size = -32768; PRAGMA mmap_size = 268435456");
}

class SqliteStateStore final : public StateStore {
 public:
  explicit SqliteStateStore(SqliteDatabase db) : db_(std::move(db)) {}

  Status SaveSnapshot(const std::string& project, const HostSnapshot& snapshot) override {
    return GuardedCall("saving a host snapshot", [&] {
      return SaveSnapshotsToCache(db_, project, std::vector<HostSnapshot>{snapshot});
    });
  }

  Status SaveSnapshots(const std::string& project,
                       const std::vector<HostSnapshot>& snapshots) override {
    return GuardedCall("saving host snapshots",
                       [&] { return SaveSnapshotsToCache(db_, project, snapshots); });
  }

  Result<std::vector<HostSnapshot>> LoadSnapshots(const std::string& project,
                                                  const std::vector<std::string>& hosts) override {
    return GuardedCall("loading host snapshots",
                       [&] { return LoadSnapshotsFromCache(db_, project, hosts); });
  }

  Result<std::int64_t> BeginRun(const RunRecord& run) override {
    return GuardedCall("recording a run start", [&] { return JournalBeginRun(db_, run); });
  }

  Status FinishRun(std::int64_t id, const std::string& result, const std::string& detail) override {
    return GuardedCall("recording a run end",
                       [&] { return JournalFinishRun(db_, id, result, detail); });
  }

  Result<std::int64_t> RecordActionStart(const ActionRecord& action) override {
    return GuardedCall("recording an action start",
                       [&] { return JournalActionStart(db_, action); });
  }

  Status RecordActionEnd(std::int64_t id, const std::string& result,
                         const std::string& error) override {
    return GuardedCall("recording an action end",
                       [&] { return JournalActionEnd(db_, id, result, error); });
  }

  Result<std::vector<RunRecord>> ListRuns(const std::string& project, const std::string& kind,
                                          int limit, std::int64_t since) override {
    return GuardedCall("listing runs",
                       [&] { return JournalListRuns(db_, project, kind, limit, since); });
  }
  Result<std::optional<RunRecord>> LoadRun(std::int64_t id) override {
    return GuardedCall("reading a run", [&] { return JournalLoadRun(db_, id); });
  }

  Result<std::vector<ActionRecord>> ListActions(std::int64_t run_id) override {
    return GuardedCall("listing actions", [&] { return JournalListActions(db_, run_id); });
  }

  Result<std::vector<ActionRecord>> ListUnfinishedActions(const std::string& project) override {
    return GuardedCall("listing unfinished actions",
                       [&] { return JournalListUnfinishedActions(db_, project); });
  }

  Status RecordRelease(std::int64_t run_id,
                       const std::vector<ReleasedContainer>& containers) override {
    return GuardedCall("recording a release",
                       [&] { return RecordReleaseIn(db_, run_id, containers); });
  }

  Result<std::vector<ReleasedContainer>> ListRelease(std::int64_t run_id) override {
    return GuardedCall("reading a release record", [&] { return ListReleaseIn(db_, run_id); });
  }

  Status SaveFailure(const std::string& project, const ActionFailure& failure) override {
    return GuardedCall("recording a failed action",
                       [&] { return SaveFailureIn(db_, project, failure); });
  }

  Status ClearFailure(const std::string& project, const std::string& host,
                      const std::string& container) override {
    return GuardedCall("forgetting a failed action",
                       [&] { return ClearFailureIn(db_, project, host, container); });
  }

  Result<std::vector<ActionFailure>> ListFailures(const std::string& project) override {
    return GuardedCall("listing failed actions", [&] { return ListFailuresIn(db_, project); });
  }

  Status SaveAdoption(const std::string& project, const Adoption& adoption) override {
    return GuardedCall("recording an adoption",
                       [&] { return SaveAdoptionIn(db_, project, adoption); });
  }

  Status ClearAdoption(const std::string& project, const std::string& host,
                       const std::string& container) override {
    return GuardedCall("forgetting an adoption",
                       [&] { return ClearAdoptionIn(db_, project, host, container); });
  }

  Result<std::vector<Adoption>> ListAdoptions(const std::string& project) override {
    return GuardedCall("listing adoptions", [&] { return ListAdoptionsIn(db_, project); });
  }

  Result<std::optional<LockInfo>> AcquireLock(const LockInfo& info,
                                              std::chrono::milliseconds timeout) override {
    return GuardedCall("taking a lock", [&] { return AcquireLockIn(db_, info, timeout); });
  }

  Status ReleaseLock(const std::string& name, std::int64_t pid) override {
    return GuardedCall("releasing a lock", [&] { return ReleaseLockIn(db_, name, pid); });
  }

  Result<std::optional<LockInfo>> ForceUnlock(const std::string& name) override {
    return GuardedCall("removing a lock", [&] { return ForceUnlockIn(db_, name); });
  }

  Result<std::optional<LockInfo>> LockHolder(const std::string& name) override {
    return GuardedCall("reading a lock", [&] { return LockHolderIn(db_, name); });
  }

  Result<std::vector<CachedHostRecord>> ListCachedHosts(const std::string& project) override {
    return GuardedCall("listing cached hosts", [&] { return ListCachedHostsOf(db_, project); });
  }

  Result<std::int64_t> RecordDriftCheck(const DriftCheckRecord& check) override {
    return GuardedCall("recording a drift check", [&] { return RecordDriftCheckIn(db_, check); });
  }

  Result<std::vector<DriftCheckRecord>> ListDriftChecks(const std::string& project,
                                                        std::int64_t since, int limit) override {
    return GuardedCall("listing drift checks",
                       [&] { return ListDriftChecksIn(db_, project, since, limit); });
  }

  Result<std::optional<ResolvedManifestRecord>> LoadResolvedManifest(
      const std::string& manifest) override {
    return GuardedCall("reading the resolved manifest cache",
                       [&] { return LoadResolvedManifestFrom(db_, manifest); });
  }

  Result<std::string> ResolvedManifestDigest(const std::string& manifest) override {
    return GuardedCall("reading the resolved manifest cache",
                       [&] { return ResolvedManifestDigestIn(db_, manifest); });
  }

  Status SaveResolvedManifest(const ResolvedManifestRecord& record) override {
    return GuardedCall("saving the resolved manifest cache",
                       [&] { return SaveResolvedManifestIn(db_, record); });
  }

  Result<std::string> ClaimStateKeyId(const std::string& project,
                                      const std::string& key_id) override {
    return GuardedCall("recording the state key id",
                       [&] { return ClaimStateKeyIdIn(db_, project, key_id); });
  }

  Status ForgetStateKeyId(const std::string& project) override {
    return GuardedCall("forgetting the state key id",
                       [&] { return ForgetStateKeyIdIn(db_, project); });
  }

  Result<StateDump> ExportState() override {
    return GuardedCall("exporting the state", [&] { return ExportSqliteState(db_); });
  }

  Status ImportState(const StateDump& dump, bool replace) override {
    return GuardedCall("importing a state", [&] { return ImportSqliteState(db_, dump, replace); });
  }

 private:
  SqliteDatabase db_;
};

// Opens the prepared state file `path` and brings its schema up to date.
Result<std::unique_ptr<StateStore>> OpenPrepared(const std::string& path) {
  Result<SqliteDatabase> db = SqliteDatabase::Open(path);
  if (!db.ok()) return db.status();
  Status s = ConfigureConnection(*db);
  if (s.ok()) s = MigrateSchema(*db, StateSchemaMigrations());
  // WAL mode just created the -wal/-shm files; SQLite gives them the main file's mode, and
  // this re-check also tightens companions left looser by an older tool.
  if (s.ok()) s = TightenStateFiles(path);
  if (!s.ok()) return s;
  return std::unique_ptr<StateStore>(std::make_unique<SqliteStateStore>(std::move(*db)));
}

Result<std::unique_ptr<StateStore>> Open(const std::string& path) {
  bool created = false;
  Status prepared = PrepareStateFile(path, &created);
  if (!prepared.ok()) return prepared;
  Result<std::unique_ptr<StateStore>> opened = OpenPrepared(path);
  // A file this call made but could not make a state file of (a full disk) would be refused
  // by the next run as an emptied state file.
  if (!opened.ok() && created) RemoveEmptyStateFile(path);
  return opened;
}

}  // namespace

Result<std::unique_ptr<StateStore>> OpenSqliteStateStore(const std::string& path) {
  return GuardedCall("opening the state file", [&] { return Open(path); });
}

}  // namespace jlrec
