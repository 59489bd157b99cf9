#include "state/sqlite_state_dump.h"

#include <algorithm>
#include <map>
#include <utility>

#include "state/adoption_table.h"
#include "state/drift_history.h"
#include "state/failure_table.h"
#include "state/release_table.h"
#include "state/run_journal.h"
#include "state/snapshot_cache.h"
#include "state/sqlite_key_ids.h"

namespace jlrec {

namespace {

// The tables that hold a project's data, with what one row of each is called. A project's
// containers, actions, release records and findings hang off these rows (ON DELETE CASCADE).
struct ProjectTable {
  const char* table;
  const char* one;
  const char* many;
};
constexpr ProjectTable kProjectTables[] = {
    {"runs", "run", "runs"},
    {"drift_checks", "drift check", "drift checks"},
    {"failures", "failed action", "failed actions"},
    {"adoptions", "adoption", "adoptions"},
    {"hosts", "cached host", "cached hosts"},
    {"state_key_ids", "state key id", "state key ids"},
};

Result<std::vector<std::string>> ListProjects(SqliteDatabase& db) {
  std::string sql;
  for (const ProjectTable& t : kProjectTables)
    sql += std::string(sql.empty() ? "" : " UNION ") + "SELECT project FROM " + t.table;
  Result<SqliteStatement> select = db.Prepare(sql + " ORDER BY 1");
  if (!select.ok()) return select.status();
  std::vector<std::string> projects;
  Status read = ForEachRow(*select, [&](const SqliteStatement& row) {
    projects.push_back(row.ColumnText(0));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return projects;
}

Status ExportRuns(SqliteDatabase& db, StateDump& dump) {
  Result<std::vector<RunRecord>> runs = JournalListRuns(db, "", "", 0, 0);
  if (!runs.ok()) return runs.status();
  // Insertion order: ImportState then gives the new ids in the same order.
  std::sort(runs->begin(), runs->end(),
            [](const RunRecord& a, const RunRecord& b) { return a.id < b.id; });
  for (RunRecord& run : *runs) {
    StateDump::Run entry;
    Result<std::vector<ActionRecord>> actions = JournalListActions(db, run.id);
    if (!actions.ok()) return actions.status();
    Result<std::vector<ReleasedContainer>> release = ListReleaseIn(db, run.id);
    if (!release.ok()) return release.status();
    entry.run = std::move(run);
    entry.actions = std::move(*actions);
    entry.release = std::move(*release);
    dump.runs.push_back(std::move(entry));
  }
  return Status::Ok();
}

// The cached hosts of `project`, each with its containers (stale ones of an unreachable host
// included).
Status ExportHosts(SqliteDatabase& db, const std::string& project, StateDump& dump) {
  Result<std::vector<CachedHostRecord>> records = ListCachedHostsOf(db, project);
  if (!records.ok()) return records.status();
  std::vector<std::string> names;
  for (const CachedHostRecord& r : *records) names.push_back(r.host);
  Result<std::vector<HostSnapshot>> snapshots = LoadSnapshotsFromCache(db, project, names);
  if (!snapshots.ok()) return snapshots.status();
  for (std::size_t i = 0; i < records->size(); ++i)
    dump.hosts.push_back(
        StateDump::Host{project, std::move((*records)[i]), std::move((*snapshots)[i].containers)});
  return Status::Ok();
}

Status ExportProject(SqliteDatabase& db, const std::string& project, StateDump& dump) {
  Result<std::vector<DriftCheckRecord>> checks = ListDriftChecksIn(db, project, 0, 0);
  if (!checks.ok()) return checks.status();
  dump.drift_checks.insert(dump.drift_checks.end(), std::make_move_iterator(checks->begin()),
                           std::make_move_iterator(checks->end()));
  Result<std::vector<ActionFailure>> failures = ListFailuresIn(db, project);
  if (!failures.ok()) return failures.status();
  for (ActionFailure& f : *failures) dump.failures.push_back({project, std::move(f)});
  Result<std::vector<Adoption>> adoptions = ListAdoptionsIn(db, project);
  if (!adoptions.ok()) return adoptions.status();
  for (Adoption& a : *adoptions) dump.adoptions.push_back({project, std::move(a)});
  return ExportHosts(db, project, dump);
}

// What the state holds of `project`, in words ("3 runs, 1 cached host"); "" when nothing.
Result<std::string> DescribeHeld(SqliteDatabase& db, const std::string& project) {
  std::string held;
  for (const ProjectTable& t : kProjectTables) {
    Result<SqliteStatement> count =
        db.Prepare(std::string("SELECT COUNT(*) FROM ") + t.table + " WHERE project = ?1");
    if (!count.ok()) return count.status();
    count->BindText(1, project);
    Result<bool> row = count->Step();
    if (!row.ok()) return row.status();
    const std::int64_t n = count->ColumnInt(0);
    if (n == 0) continue;
    held += (held.empty() ? "" : ", ") + std::to_string(n) + " " + (n == 1 ? t.one : t.many);
  }
  return held;
}

Status DeleteProject(SqliteDatabase& db, const std::string& project) {
  for (const ProjectTable& t : kProjectTables) {
    Result<SqliteStatement> remove =
        db.Prepare(std::string("DELETE FROM ") + t.table + " WHERE project = ?1");
    if (!remove.ok()) return remove.status();
    remove->BindText(1, project);
    Status s = remove->Run();
    if (!s.ok()) return s.WithContext("deleting project " + project + "'s " + t.many);
  }
  return Status::Ok();
}

// Refuses (kConflict) when the state holds anything of `projects`, or with `replace`
// deletes it.
Status ClearProjects(SqliteDatabase& db, const std::vector<std::string>& projects, bool replace) {
  for (const std::string& project : projects) {
    if (replace) {
      Status s = DeleteProject(db, project);
      if (!s.ok()) return s;
      continue;
    }
    Result<std::string> held = DescribeHeld(db, project);
    if (!held.ok()) return held.status();
    if (!held->empty())
      return Status::Conflict("the state " + db.path() + " already holds project " + project +
                              " (" + *held + ")");
  }
  return Status::Ok();
}

// Writes the runs with their actions and release records; `new_ids` maps each source id to
// the one it got here.
Status ImportRuns(SqliteDatabase& db, const std::vector<StateDump::Run>& runs,
                  std::map<std::int64_t, std::int64_t>& new_ids) {
  for (const StateDump::Run& entry : runs) {
    Result<std::int64_t> id = JournalBeginRun(db, entry.run);
    if (!id.ok()) return id.status();
    new_ids[entry.run.id] = *id;
    for (ActionRecord action : entry.actions) {
      action.run_id = *id;
      Result<std::int64_t> action_id = JournalActionStart(db, action);
      if (!action_id.ok()) return action_id.status();
    }
    if (!entry.release.empty()) {
      Status s = RecordReleaseIn(db, *id, entry.release);
      if (!s.ok()) return s;
    }
  }
  return Status::Ok();
}

std::int64_t NewRunId(const std::map<std::int64_t, std::int64_t>& new_ids, std::int64_t old) {
  auto found = new_ids.find(old);
  return found == new_ids.end() ? 0 : found->second;
}

// Writes the cached hosts as refreshes would have: a host's last successful refresh (its
// containers) at last_success_at, then for an unreachable one the failed attempt at
// last_refresh_at with its error, which keeps those containers as stale.
Status ImportHosts(SqliteDatabase& db, const std::vector<StateDump::Host>& hosts) {
  std::map<std::string, std::vector<HostSnapshot>> successes, failures;
  for (const StateDump::Host& h : hosts) {
    HostSnapshot success;
    success.host = h.record.host;
    success.reachable = true;
    success.observed_at = h.record.reachable ? h.record.last_refresh_at : h.record.last_success_at;
    success.containers = h.containers;
    if (success.observed_at != 0) successes[h.project].push_back(std::move(success));
    if (h.record.reachable) continue;
    HostSnapshot failure;
    failure.host = h.record.host;
    failure.reachable = false;
    failure.observed_at = h.record.last_refresh_at;
    failure.error = h.record.error;
    failures[h.project].push_back(std::move(failure));
  }
  for (const auto* batch : {&successes, &failures})
    for (const auto& [project, snapshots] : *batch) {
      Status s = SaveSnapshotsToCache(db, project, snapshots);
      if (!s.ok()) return s.WithContext("project " + project);
    }
  return Status::Ok();
}

Status ImportRest(SqliteDatabase& db, const StateDump& dump,
                  const std::map<std::int64_t, std::int64_t>& new_ids) {
  for (const DriftCheckRecord& check : dump.drift_checks) {
    Result<std::int64_t> id = RecordDriftCheckIn(db, check);
    if (!id.ok()) return id.status();
  }
  for (const StateDump::Failure& f : dump.failures) {
    ActionFailure failure = f.failure;
    failure.run_id = NewRunId(new_ids, failure.run_id);
    Status s = SaveFailureIn(db, f.project, failure);
    if (!s.ok()) return s;
  }
  for (const StateDump::Adopted& a : dump.adoptions) {
    Adoption adoption = a.adoption;
    adoption.run_id = NewRunId(new_ids, adoption.run_id);
    Status s = SaveAdoptionIn(db, a.project, adoption);
    if (!s.ok()) return s;
  }
  Status s = ImportHosts(db, dump.hosts);
  if (!s.ok()) return s;
  for (const StateDump::KeyId& k : dump.key_ids) {
    s = InsertStateKeyIdIn(db, k.project, k.key_id);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<StateDump> ExportSqliteState(SqliteDatabase& db) {
  // One read transaction: the table functions below join it, so every part of the dump comes
  // from the same committed state, whatever other processes write meanwhile.
  Result<SqliteTransaction> tx = SqliteTransaction::Begin(db, SqliteTransaction::Mode::kRead);
  if (!tx.ok()) return tx.status();
  StateDump dump;
  Result<std::vector<std::string>> projects = ListProjects(db);
  if (!projects.ok()) return projects.status();
  Status s = ExportRuns(db, dump);
  for (std::size_t i = 0; s.ok() && i < projects->size(); ++i)
    s = ExportProject(db, (*projects)[i], dump);
  if (!s.ok()) return s.WithContext("exporting the state " + db.path());
  std::sort(dump.drift_checks.begin(), dump.drift_checks.end(),
            [](const DriftCheckRecord& a, const DriftCheckRecord& b) { return a.id < b.id; });
  Result<std::vector<StateDump::KeyId>> key_ids = ListStateKeyIdsIn(db);
  if (!key_ids.ok()) return key_ids.status();
  dump.key_ids = std::move(*key_ids);
  s = tx->Commit();
  if (!s.ok()) return s;
  return dump;
}

Status ImportSqliteState(SqliteDatabase& db, const StateDump& dump, bool replace) {
  // The write lock up front, for the check and the writes alike: no other process can add a
  // run of a project between the check that it has none and the import.
  Result<SqliteTransaction> tx = SqliteTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  Status s = ClearProjects(db, dump.Projects(), replace);
  if (!s.ok()) return s;
  std::map<std::int64_t, std::int64_t> new_ids;
  s = ImportRuns(db, dump.runs, new_ids);
  if (s.ok()) s = ImportRest(db, dump, new_ids);
  if (!s.ok()) return s.WithContext("importing into the state " + db.path());
  return tx->Commit();
}

}  // namespace jlrec
