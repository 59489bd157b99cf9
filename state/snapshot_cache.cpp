#include "state/snapshot_cache.h"

#include <set>
#include <utility>

#include "state/json_columns.h"
#include "state/local_process.h"
#include "state/snapshot_blob.h"
#include "state/sqlite_joined_transaction.h"

namespace jlrec {

namespace {

// Upsert, never INSERT OR REPLACE: replacing the host row would cascade-delete its containers.
constexpr const char* kUpsertReachableHost = R"sql(
INSERT INTO hosts (project, host, last_refresh_at, last_success_at, reachable, error, snapshot)
VALUES (?1, ?2, ?3, ?3, 1, '', ?4)
ON CONFLICT (project, host) DO UPDATE SET
  last_refresh_at = excluded.last_refresh_at, last_success_at = excluded.last_success_at,
  reachable = 1, error = '', snapshot = excluded.snapshot
)sql";

constexpr const char* kUpsertUnreachableHost = R"sql(
INSERT INTO hosts (project, host, last_refresh_at, last_success_at, reachable, error)
VALUES (?1, ?2, ?3, NULL, 0, ?4)
ON CONFLICT (project, host) DO UPDATE SET
  last_refresh_at = excluded.last_refresh_at, reachable = 0, error = excluded.error
)sql";

constexpr const char* kDeleteContainers = "DELETE FROM containers WHERE project = ?1 AND host = ?2";

constexpr const char* kInsertContainer = R"sql(
INSERT INTO containers (project, host, position, name, id, image, image_id, state, health,
                        jlrec_labels, labels, spec, script_digest, created, started_at,
                        observed_at, script_stat, restart_count, exit_code)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
)sql";

constexpr const char* kSelectHost = R"sql(
SELECT reachable, error, COALESCE(last_success_at, 0), snapshot FROM hosts
WHERE project = ?1 AND host = ?2
)sql";

constexpr const char* kSelectContainers = R"sql(
SELECT name, id, image, image_id, state, health, jlrec_labels, labels, spec, script_digest,
       created, started_at, script_stat, restart_count, exit_code
FROM containers WHERE project = ?1 AND host = ?2 ORDER BY position
)sql";

constexpr const char* kListHosts = R"sql(
SELECT h.host, h.reachable, h.error, h.last_refresh_at, COALESCE(h.last_success_at, 0),
       (SELECT COUNT(*) FROM containers c WHERE c.project = h.project AND c.host = h.host)
FROM hosts h WHERE h.project = ?1 ORDER BY h.host
)sql";

Status CheckSnapshots(const std::vector<HostSnapshot>& snapshots) {
  std::set<std::string> seen;
  for (const HostSnapshot& snapshot : snapshots) {
    if (snapshot.host.empty()) return Status::InvalidArgument("a host snapshot has no host key");
    if (!seen.insert(snapshot.host).second)
      return Status::InvalidArgument("host " + snapshot.host + " appears twice in one refresh");
  }
  return Status::Ok();
}

// The statements of one SaveSnapshots call, prepared once and reused for every row.
struct SaveStatements {
  SqliteStatement upsert_reachable;
  SqliteStatement upsert_unreachable;
  SqliteStatement delete_containers;
  SqliteStatement insert_container;
};

Result<SaveStatements> PrepareSaveStatements(SqliteDatabase& db) {
  Result<SqliteStatement> reachable = db.Prepare(kUpsertReachableHost);
  if (!reachable.ok()) return reachable.status();
  Result<SqliteStatement> unreachable = db.Prepare(kUpsertUnreachableHost);
  if (!unreachable.ok()) return unreachable.status();
  Result<SqliteStatement> remove = db.Prepare(kDeleteContainers);
  if (!remove.ok()) return remove.status();
  Result<SqliteStatement> insert = db.Prepare(kInsertContainer);
  if (!insert.ok()) return insert.status();
  return SaveStatements{std::move(*reachable), std::move(*unreachable), std::move(*remove),
                        std::move(*insert)};
}

Status SaveReachableHost(SaveStatements& st, const std::string& project,
                         const HostSnapshot& snapshot, std::int64_t observed_at) {
  st.upsert_reachable.Reset();
  st.upsert_reachable.BindText(1, project)
      .BindText(2, snapshot.host)
      .BindInt(3, observed_at)
      .BindBlob(4, EncodeHostContainers(snapshot.containers));
  Status s = st.upsert_reachable.Run();
  if (!s.ok()) return s;
  st.delete_containers.Reset();
  st.delete_containers.BindText(1, project).BindText(2, snapshot.host);
  s = st.delete_containers.Run();
  if (!s.ok()) return s;

  std::int64_t position = 0;
  for (const LiveContainer& c : snapshot.containers) {
    SqliteStatement& insert = st.insert_container;
    insert.Reset();
    insert.BindText(1, project)
        .BindText(2, snapshot.host)
        .BindInt(3, position++)
        .BindText(4, c.name)
        .BindText(5, c.id)
        .BindText(6, c.spec.image)
        .BindText(7, c.image_id)
        .BindText(8, c.state)
        .BindText(9, c.health)
        .BindText(10, StringMapToJson(c.jlrec_labels))
        .BindText(11, StringMapToJson(c.spec.labels))
        .BindText(12, SpecFieldsToJson(c.spec))
        .BindOptionalText(13, c.script_digest)
        .BindText(14, c.created)
        .BindText(15, c.started_at)
        .BindInt(16, observed_at)
        .BindText(17, c.script_stat)
        .BindInt(18, c.restart_count)
        .BindInt(19, c.exit_code);
    s = insert.Run();
    if (!s.ok()) return s.WithContext("container " + c.name);
  }
  return Status::Ok();
}

Status SaveUnreachableHost(SaveStatements& st, const std::string& project,
                           const HostSnapshot& snapshot, std::int64_t attempted_at) {
  st.upsert_unreachable.Reset();
  st.upsert_unreachable.BindText(1, project)
      .BindText(2, snapshot.host)
      .BindInt(3, attempted_at)
      .BindText(4, snapshot.error.empty() ? "unreachable" : snapshot.error);
  return st.upsert_unreachable.Run();
}

Result<LiveContainer> ReadContainer(const SqliteStatement& row) {
  LiveContainer c;
  c.name = row.ColumnText(0);
  c.id = row.ColumnText(1);
  c.spec.image = row.ColumnText(2);
  c.image_id = row.ColumnText(3);
  c.state = row.ColumnText(4);
  c.health = row.ColumnText(5);
  Result<std::map<std::string, std::string>> jlrec_labels =
      StringMapFromJson(row.ColumnText(6), "containers.jlrec_labels");
  if (!jlrec_labels.ok()) return jlrec_labels.status();
  c.jlrec_labels = std::move(*jlrec_labels);
  Result<std::map<std::string, std::string>> labels =
      StringMapFromJson(row.ColumnText(7), "containers.labels");
  if (!labels.ok()) return labels.status();
  c.spec.labels = std::move(*labels);
  Status spec = SpecFieldsFromJson(row.ColumnText(8), c.spec);
  if (!spec.ok()) return spec;
  if (!row.ColumnIsNull(9)) c.script_digest = row.ColumnText(9);
  c.created = row.ColumnText(10);
  c.started_at = row.ColumnText(11);
  c.script_stat = row.ColumnText(12);
  c.restart_count = static_cast<int>(row.ColumnInt(13));
  c.exit_code = static_cast<int>(row.ColumnInt(14));
  return c;
}

// Reads the container rows of `snapshot.host` (replacing any containers it holds).
Status LoadRows(SqliteStatement& select_containers, const std::string& project,
                HostSnapshot& snapshot) {
  snapshot.containers.clear();
  select_containers.Reset();
  select_containers.BindText(1, project).BindText(2, snapshot.host);
  return ForEachRow(select_containers, [&](const SqliteStatement& row) {
    Result<LiveContainer> container = ReadContainer(row);
    if (!container.ok()) return container.status().WithContext("host " + snapshot.host);
    snapshot.containers.push_back(std::move(*container));
    return Status::Ok();
  });
}

// Reads the host row of `snapshot.host` and its containers: the encoded value when there is
// one (written with the rows, in the same transaction), else (a file last refreshed by an
// older jlrec, or a value of another format) the rows.
Status LoadHost(SqliteStatement& select_host, SqliteStatement& select_containers,
                const std::string& project, HostSnapshot& snapshot) {
  select_host.Reset();
  select_host.BindText(1, project).BindText(2, snapshot.host);
  Result<bool> found = select_host.Step();
  if (!found.ok()) return found.status();
  if (!*found) {
    snapshot.reachable = false;
    snapshot.error = "never refreshed";
    return Status::Ok();
  }
  snapshot.reachable = select_host.ColumnInt(0) != 0;
  snapshot.error = select_host.ColumnText(1);
  snapshot.observed_at = select_host.ColumnInt(2);
  bool decoded = false;
  if (!select_host.ColumnIsNull(3)) {
    // Decoded in place: the bytes stay valid until the statement is reset.
    Result<std::vector<LiveContainer>> containers =
        DecodeHostContainers(select_host.ColumnBytes(3));
    if (containers.ok()) {
      snapshot.containers = std::move(*containers);
      decoded = true;
    }
  }
  select_host.Reset();
  return decoded ? Status::Ok() : LoadRows(select_containers, project, snapshot);
}

}  // namespace

Status SaveSnapshotsToCache(SqliteDatabase& db, const std::string& project,
                            const std::vector<HostSnapshot>& snapshots) {
  Status valid = CheckSnapshots(snapshots);
  if (!valid.ok()) return valid;
  Result<SaveStatements> statements = PrepareSaveStatements(db);
  if (!statements.ok()) return statements.status();
  Result<JoinedTransaction> tx = JoinedTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();

  const std::int64_t now = UnixNow();
  for (const HostSnapshot& snapshot : snapshots) {
    const std::int64_t at = snapshot.observed_at != 0 ? snapshot.observed_at : now;
    Status saved = snapshot.reachable ? SaveReachableHost(*statements, project, snapshot, at)
                                      : SaveUnreachableHost(*statements, project, snapshot, at);
    if (!saved.ok()) return saved.WithContext("saving the refresh of host " + snapshot.host);
  }
  return tx->Commit();
}

Result<std::vector<HostSnapshot>> LoadSnapshotsFromCache(SqliteDatabase& db,
                                                         const std::string& project,
                                                         const std::vector<std::string>& hosts) {
  Result<SqliteStatement> select_host = db.Prepare(kSelectHost);
  if (!select_host.ok()) return select_host.status();
  Result<SqliteStatement> select_containers = db.Prepare(kSelectContainers);
  if (!select_containers.ok()) return select_containers.status();
  // One read transaction: every host comes from the same committed state.
  Result<JoinedTransaction> tx = JoinedTransaction::Begin(db, SqliteTransaction::Mode::kRead);
  if (!tx.ok()) return tx.status();

  std::vector<HostSnapshot> snapshots(hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) {
    snapshots[i].host = hosts[i];
    snapshots[i].from_cache = true;
    Status loaded = LoadHost(*select_host, *select_containers, project, snapshots[i]);
    if (!loaded.ok()) return loaded;
  }
  Status done = tx->Commit();
  if (!done.ok()) return done;
  return snapshots;
}

Result<std::vector<CachedHostRecord>> ListCachedHostsOf(SqliteDatabase& db,
                                                        const std::string& project) {
  Result<SqliteStatement> select = db.Prepare(kListHosts);
  if (!select.ok()) return select.status();
  select->BindText(1, project);
  std::vector<CachedHostRecord> records;
  Status read = ForEachRow(*select, [&](const SqliteStatement& row) {
    CachedHostRecord record;
    record.host = row.ColumnText(0);
    record.reachable = row.ColumnInt(1) != 0;
    record.error = row.ColumnText(2);
    record.last_refresh_at = row.ColumnInt(3);
    record.last_success_at = row.ColumnInt(4);
    record.container_count = row.ColumnInt(5);
    records.push_back(std::move(record));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return records;
}

}  // namespace jlrec
