#include "state/schema_migrations.h"

#include <string>

#include "state/local_process.h"

namespace jlrec {

namespace {

// Version 1: the refresh cache (issue 4), the run journal and the locks (issue 6).
constexpr const char* kCacheJournalLocks = R"sql(
CREATE TABLE hosts (
  project TEXT NOT NULL,
  host TEXT NOT NULL,
  last_refresh_at INTEGER NOT NULL,  -- unix seconds of the latest refresh attempt
  last_success_at INTEGER,           -- unix seconds of the latest successful one; NULL: never
  reachable INTEGER NOT NULL CHECK (reachable IN (0, 1)),  -- outcome of the latest attempt
  error TEXT NOT NULL DEFAULT '',    -- why the latest attempt failed
  PRIMARY KEY (project, host)
);
-- The containers of a host's latest successful refresh; kept (stale) while it is unreachable.
CREATE TABLE containers (
  project TEXT NOT NULL,
  host TEXT NOT NULL,
  position INTEGER NOT NULL,         -- order within the host's snapshot
  name TEXT NOT NULL,
  id TEXT NOT NULL,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  state TEXT NOT NULL,
  health TEXT NOT NULL,
  jlrec_labels TEXT NOT NULL,        -- JSON object: the jlrec.* bookkeeping labels
  labels TEXT NOT NULL,              -- JSON object: the user labels
  spec TEXT NOT NULL,                -- JSON object: command, network_mode, volumes, restart, ports
  script_digest TEXT,                -- sha256 of /run.sh; NULL: the file is absent
  created TEXT NOT NULL,
  started_at TEXT NOT NULL,
  observed_at INTEGER NOT NULL,
  PRIMARY KEY (project, host, position),
  UNIQUE (project, host, name),
  FOREIGN KEY (project, host) REFERENCES hosts (project, host) ON DELETE CASCADE
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  project TEXT NOT NULL,
  groups TEXT NOT NULL,              -- JSON array of group names
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL DEFAULT 0,  -- 0 while running or after a crash
  result TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_started_at ON runs (started_at);
CREATE TABLE run_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  action TEXT NOT NULL,
  container TEXT NOT NULL,           -- host/container
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL DEFAULT 0,
  result TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX run_actions_by_run ON run_actions (run_id);
CREATE TABLE locks (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  since INTEGER NOT NULL
);
)sql";

// Version 2: the drift check history (issue 7).
constexpr const char* kDriftHistory = R"sql(
CREATE TABLE drift_checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project TEXT NOT NULL,
  groups TEXT NOT NULL,              -- JSON array of group names
  checked_at INTEGER NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('in_sync', 'drift', 'error')),
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX drift_checks_by_project_time ON drift_checks (project, checked_at);
CREATE TABLE drift_findings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  check_id INTEGER NOT NULL REFERENCES drift_checks (id) ON DELETE CASCADE,
  container TEXT NOT NULL,           -- host/container
  kind TEXT NOT NULL,                -- missing, stopped, script_changed, spec_changed, ...
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX drift_findings_by_check ON drift_findings (check_id);
)sql";

// Version 3: the stat key of each container's /run.sh, so that a refresh re-reads only
// scripts that changed (engine/refresh.h, KnownScripts).
constexpr const char* kScriptStat = R"sql(
ALTER TABLE containers ADD COLUMN script_stat TEXT NOT NULL DEFAULT '';
)sql";

// Version 4: what makes a plan from the cache fast at 10,000 containers: each host's
// containers as one value (state/snapshot_blob.h) and the resolved-manifest cache
// (manifests/resolved_manifest_codec.h), so an unchanged manifest is not parsed and
// rendered again.
constexpr const char* kFastCachedPlan = R"sql(
ALTER TABLE hosts ADD COLUMN snapshot BLOB;  -- the containers rows, encoded; NULL: read the rows
CREATE TABLE resolved_manifests (
  manifest TEXT PRIMARY KEY,         -- absolute path of the manifest file or folder
  inputs TEXT NOT NULL,              -- the files and variable names the load read
  inputs_digest TEXT NOT NULL,       -- sha256 over their contents and values then
  model BLOB NOT NULL,               -- the desired state without scripts or env values
  saved_at INTEGER NOT NULL
);
)sql";

// Version 5: what `jlrec history` and `jlrec rollback` need, and what keeps a failed deploy
// from reading as in sync: who ran each run with which manifest and jlrec; each container's
// restart count and last exit code as refreshed (a crash-looping container looks "running");
// the release record of each apply or rollback run (engine/release_record.h); the failed
// actions not yet redone (engine/action_failure.h); the containers made outside jlrec that an
// apply adopted (engine/adoption.h). containers.spec may now also hold a "healthcheck" object
// (state/json_columns.h).
constexpr const char* kReleasesAndFailures = R"sql(
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';            -- user@hostname
ALTER TABLE runs ADD COLUMN manifest_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN jlrec_version TEXT NOT NULL DEFAULT '';
ALTER TABLE containers ADD COLUMN restart_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE containers ADD COLUMN exit_code INTEGER NOT NULL DEFAULT 0;
-- ListUnfinishedActions reads only the few actions still running out of the whole journal.
CREATE INDEX run_actions_running ON run_actions (run_id) WHERE result = 'running';
-- One row per container a run left behind; the primary key is also the by-run index.
CREATE TABLE release_containers (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,         -- order within the run's record
  host TEXT NOT NULL,
  container TEXT NOT NULL,
  groups TEXT NOT NULL,              -- JSON array of group names
  core INTEGER NOT NULL CHECK (core IN (0, 1)),
  action TEXT NOT NULL,              -- what the run did to it; 'noop' when nothing
  outcome TEXT NOT NULL,             -- succeeded, failed, rolled back, skipped, unchanged, ...
  image TEXT NOT NULL,               -- the reference the run asked for
  image_digest TEXT NOT NULL,        -- registry digest; '' unknown
  image_id TEXT NOT NULL,            -- local image id; '' when no container
  container_id TEXT NOT NULL,        -- '' when no container
  script_digest TEXT NOT NULL,       -- sha256 of /run.sh; '' when none
  PRIMARY KEY (run_id, position)
);
-- The failed actions not yet redone, one per container. run_id only names the run for
-- messages, no foreign key: a failure must stay until it is redone, whatever becomes of its
-- run's journal entry.
CREATE TABLE failures (
  project TEXT NOT NULL,
  host TEXT NOT NULL,
  container TEXT NOT NULL,
  action TEXT NOT NULL,              -- create, replace, update, start
  container_id TEXT NOT NULL,        -- the container the failure left; '' none
  spec_digest TEXT NOT NULL,
  script_digest TEXT NOT NULL,
  reason TEXT NOT NULL,
  rolled_back INTEGER NOT NULL CHECK (rolled_back IN (0, 1)),
  run_id INTEGER NOT NULL,
  failed_at INTEGER NOT NULL,        -- unix seconds
  PRIMARY KEY (project, host, container)
);
-- Containers made outside jlrec and adopted as they were: Docker labels cannot be added to
-- a container, so this row is what makes it managed.
CREATE TABLE adoptions (
  project TEXT NOT NULL,
  host TEXT NOT NULL,
  container TEXT NOT NULL,
  container_id TEXT NOT NULL,        -- the container adopted; another id under the name is not
  spec_digest TEXT NOT NULL,         -- of its spec as seen when adopted
  groups TEXT NOT NULL,              -- JSON array of group names
  core INTEGER NOT NULL CHECK (core IN (0, 1)),
  run_id INTEGER NOT NULL,
  adopted_at INTEGER NOT NULL,       -- unix seconds
  PRIMARY KEY (project, host, container)
);
)sql";

// Version 6: the id of the state key each project's digests are made under
// (StateStore::ClaimStateKeyId), so a checkout holding another key is told instead of
// silently writing digests that never match.
constexpr const char* kStateKeyIds = R"sql(
CREATE TABLE state_key_ids (
  project TEXT PRIMARY KEY,
  key_id TEXT NOT NULL               -- StateKeyId of the key: reveals nothing of it
);
)sql";

constexpr const char* kCreateVersionTable = R"sql(
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL,
  summary TEXT NOT NULL
);
)sql";

Result<bool> TableExists(SqliteDatabase& db, const char* name) {
  Result<SqliteStatement> stmt =
      db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, name);
  return stmt->Step();
}

Result<bool> DatabaseIsEmpty(SqliteDatabase& db) {
  Result<SqliteStatement> stmt = db.Prepare("SELECT 1 FROM sqlite_master LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  Result<bool> any = stmt->Step();
  if (!any.ok()) return any.status();
  return !*any;
}

Status CheckMigrationList(const std::vector<SchemaMigration>& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1)
      return Status::Internal("schema migration #" + std::to_string(i) + " has version " +
                              std::to_string(migrations[i].version) + ", expected " +
                              std::to_string(i + 1));
  }
  return Status::Ok();
}

Status RecordVersion(SqliteDatabase& db, const SchemaMigration& step) {
  Result<SqliteStatement> stmt =
      db.Prepare("INSERT INTO schema_version (version, applied_at, summary) VALUES (?1, ?2, ?3)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt(1, step.version).BindInt(2, UnixNow()).BindText(3, step.summary);
  return stmt->Run();
}

Status RefuseNewer(SqliteDatabase& db, int found, int supported) {
  // A version no jlrec wrote is as likely bytes overwritten on disk: a damaged file must say
  // so, not send the operator looking for a newer jlrec. (Checked only here: quick_check reads
  // the whole file.)
  if (Result<SqliteStatement> check = db.Prepare("PRAGMA quick_check(1)"); check.ok()) {
    Result<bool> row = check->Step();
    if (!row.ok()) return row.status();
    if (*row && check->ColumnText(0) != "ok")
      return db.Error(SQLITE_CORRUPT, "checking the schema version");
  }
  return Status::IoError("state file " + db.path() + " has schema version " +
                         std::to_string(found) + ", newer than version " +
                         std::to_string(supported) +
                         " that this jlrec understands; use a newer jlrec or another state file");
}

}  // namespace

const std::vector<SchemaMigration>& StateSchemaMigrations() {
  static const std::vector<SchemaMigration> migrations = {
      {1, "refresh cache, run journal, locks", kCacheJournalLocks},
      {2, "drift check history", kDriftHistory},
      {3, "script stat keys in the refresh cache", kScriptStat},
      {4, "host snapshot values and the resolved manifest cache", kFastCachedPlan},
      {5, "run provenance, restart counts and exit codes, release records, failures, adoptions",
       kReleasesAndFailures},
      {6, "state key ids", kStateKeyIds},
  };
  return migrations;
}

Result<int> ReadSchemaVersion(SqliteDatabase& db) {
  Result<bool> has_table = TableExists(db, "schema_version");
  if (!has_table.ok()) return has_table.status();
  if (!*has_table) {
    Result<bool> empty = DatabaseIsEmpty(db);
    if (!empty.ok()) return empty.status();
    if (!*empty)
      return Status::IoError(db.path() +
                             " is an SQLite database but not a jlrec state file (it has no "
                             "schema_version table); refusing to modify it");
    return 0;
  }
  Result<SqliteStatement> stmt = db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(stmt->ColumnInt(0));
}

Status MigrateSchema(SqliteDatabase& db, const std::vector<SchemaMigration>& migrations) {
  Status listed = CheckMigrationList(migrations);
  if (!listed.ok()) return listed;
  const int latest = static_cast<int>(migrations.size());

  // The common case (already current) only reads, so it never waits for a writer.
  Result<int> current = ReadSchemaVersion(db);
  if (!current.ok()) return current.status();
  if (*current > latest) return RefuseNewer(db, *current, latest);

  while (*current < latest) {
    Result<SqliteTransaction> tx = SqliteTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
    if (!tx.ok()) return tx.status();
    // Another process may have migrated while this one waited for the write lock.
    current = ReadSchemaVersion(db);
    if (!current.ok()) return current.status();
    if (*current > latest) return RefuseNewer(db, *current, latest);
    if (*current == latest) return tx->Commit();

    const SchemaMigration& step = migrations[static_cast<std::size_t>(*current)];
    const std::string context = "migrating state file " + db.path() + " from schema version " +
                                std::to_string(*current) + " to " + std::to_string(step.version) +
                                " (" + step.summary + ")";
    Status applied = *current == 0 ? db.Exec(kCreateVersionTable) : Status::Ok();
    if (applied.ok()) applied = db.Exec(step.sql);
    if (applied.ok()) applied = RecordVersion(db, step);
    if (applied.ok()) applied = tx->Commit();
    if (!applied.ok()) return applied.WithContext(context);
    current = step.version;
  }
  return Status::Ok();
}

}  // namespace jlrec
