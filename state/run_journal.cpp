#include "state/run_journal.h"

#include <utility>

#include "state/json_columns.h"
#include "state/local_process.h"

namespace jlrec {

namespace {

constexpr const char* kRunning = "running";

Status MustHaveChanged(SqliteDatabase& db, const char* what, std::int64_t id) {
  if (db.Changes() == 0)
    return Status::NotFound(std::string(what) + " " + std::to_string(id) +
                            " is not in the journal");
  return Status::Ok();
}

// The actions `select` yields, its columns being id, run_id, action, container, started_at,
// finished_at, result, error.
Result<std::vector<ActionRecord>> ReadActions(SqliteStatement& select) {
  std::vector<ActionRecord> actions;
  Status read = ForEachRow(select, [&](const SqliteStatement& row) {
    ActionRecord action;
    action.id = row.ColumnInt(0);
    action.run_id = row.ColumnInt(1);
    action.action = row.ColumnText(2);
    action.container = row.ColumnText(3);
    action.started_at = row.ColumnInt(4);
    action.finished_at = row.ColumnInt(5);
    action.result = row.ColumnText(6);
    action.error = row.ColumnText(7);
    actions.push_back(std::move(action));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return actions;
}

}  // namespace

Result<std::int64_t> JournalBeginRun(SqliteDatabase& db, const RunRecord& run) {
  Result<SqliteStatement> insert = db.Prepare(
      "INSERT INTO runs (kind, project, groups, started_at, finished_at, result, detail, owner, "
      "manifest_digest, jlrec_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!insert.ok()) return insert.status();
  insert->BindText(1, run.kind)
      .BindText(2, run.project)
      .BindText(3, StringListToJson(run.groups))
      .BindInt(4, run.started_at != 0 ? run.started_at : UnixNow())
      .BindInt(5, run.finished_at)
      .BindText(6, run.result.empty() ? kRunning : run.result)
      .BindText(7, run.detail)
      .BindText(8, run.owner)
      .BindText(9, run.manifest_digest)
      .BindText(10, run.jlrec_version);
  Status done = insert->Run();
  if (!done.ok()) return done.WithContext("recording the start of a " + run.kind + " run");
  return db.LastInsertRowid();
}

Status JournalFinishRun(SqliteDatabase& db, std::int64_t id, const std::string& result,
                        const std::string& detail) {
  Result<SqliteStatement> update =
      db.Prepare("UPDATE runs SET finished_at = ?2, result = ?3, detail = ?4 WHERE id = ?1");
  if (!update.ok()) return update.status();
  update->BindInt(1, id).BindInt(2, UnixNow()).BindText(3, result).BindText(4, detail);
  Status done = update->Run();
  if (!done.ok()) return done.WithContext("recording the end of run " + std::to_string(id));
  return MustHaveChanged(db, "run", id);
}

Result<std::int64_t> JournalActionStart(SqliteDatabase& db, const ActionRecord& action) {
  Result<SqliteStatement> insert = db.Prepare(
      "INSERT INTO run_actions (run_id, action, container, started_at, finished_at, result, "
      "error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert.ok()) return insert.status();
  insert->BindInt(1, action.run_id)
      .BindText(2, action.action)
      .BindText(3, action.container)
      .BindInt(4, action.started_at != 0 ? action.started_at : UnixNow())
      .BindInt(5, action.finished_at)
      .BindText(6, action.result.empty() ? kRunning : action.result)
      .BindText(7, action.error);
  Status done = insert->Run();
  if (done.code() == Status::Code::kInvalidArgument &&
      sqlite3_extended_errcode(db.handle()) == SQLITE_CONSTRAINT_FOREIGNKEY)
    return Status::NotFound("run " + std::to_string(action.run_id) +
                            " is not in the journal (recording " + action.action + " " +
                            action.container + ")");
  if (!done.ok())
    return done.WithContext("recording the start of " + action.action + " " + action.container);
  return db.LastInsertRowid();
}

Status JournalActionEnd(SqliteDatabase& db, std::int64_t id, const std::string& result,
                        const std::string& error) {
  Result<SqliteStatement> update =
      db.Prepare("UPDATE run_actions SET finished_at = ?2, result = ?3, error = ?4 WHERE id = ?1");
  if (!update.ok()) return update.status();
  update->BindInt(1, id).BindInt(2, UnixNow()).BindText(3, result).BindText(4, error);
  Status done = update->Run();
  if (!done.ok()) return done.WithContext("recording the end of action " + std::to_string(id));
  return MustHaveChanged(db, "action", id);
}

namespace {

constexpr const char* kRunColumns =
    "SELECT id, kind, project, groups, started_at, finished_at, result, detail, owner, "
    "manifest_digest, jlrec_version FROM runs ";

Result<std::vector<RunRecord>> ReadRuns(SqliteStatement& select) {
  std::vector<RunRecord> runs;
  Status read = ForEachRow(select, [&](const SqliteStatement& row) {
    RunRecord run;
    run.id = row.ColumnInt(0);
    run.kind = row.ColumnText(1);
    run.project = row.ColumnText(2);
    Result<std::vector<std::string>> groups = StringListFromJson(row.ColumnText(3), "runs.groups");
    if (!groups.ok()) return groups.status().WithContext("run " + std::to_string(run.id));
    run.groups = std::move(*groups);
    run.started_at = row.ColumnInt(4);
    run.finished_at = row.ColumnInt(5);
    run.result = row.ColumnText(6);
    run.detail = row.ColumnText(7);
    run.owner = row.ColumnText(8);
    run.manifest_digest = row.ColumnText(9);
    run.jlrec_version = row.ColumnText(10);
    runs.push_back(std::move(run));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return runs;
}

}  // namespace

Result<std::vector<RunRecord>> JournalListRuns(SqliteDatabase& db, const std::string& project,
                                               const std::string& kind, int limit,
                                               std::int64_t since) {
  Result<SqliteStatement> select =
      db.Prepare(std::string(kRunColumns) +
                 "WHERE (?1 = '' OR kind = ?1) AND started_at >= ?2 AND (?4 = '' OR project = ?4) "
                 "ORDER BY started_at DESC, id DESC LIMIT ?3");
  if (!select.ok()) return select.status();
  select->BindText(1, kind).BindInt(2, since).BindInt(3, SqlLimit(limit)).BindText(4, project);
  return ReadRuns(*select);
}

Result<std::optional<RunRecord>> JournalLoadRun(SqliteDatabase& db, std::int64_t id) {
  Result<SqliteStatement> select = db.Prepare(std::string(kRunColumns) + "WHERE id = ?1");
  if (!select.ok()) return select.status();
  select->BindInt(1, id);
  auto runs = ReadRuns(*select);
  if (!runs.ok()) return runs.status();
  if (runs->empty()) return std::optional<RunRecord>();
  return std::optional<RunRecord>(std::move(runs->front()));
}

Result<std::vector<ActionRecord>> JournalListActions(SqliteDatabase& db, std::int64_t run_id) {
  Result<SqliteStatement> select = db.Prepare(
      "SELECT id, run_id, action, container, started_at, finished_at, result, error "
      "FROM run_actions WHERE run_id = ?1 ORDER BY id");
  if (!select.ok()) return select.status();
  select->BindInt(1, run_id);
  return ReadActions(*select);
}

Result<std::vector<ActionRecord>> JournalListUnfinishedActions(SqliteDatabase& db,
                                                               const std::string& project) {
  // 'running' is written out (not bound) so that SQLite uses the partial index
  // run_actions_running, which holds only those rows.
  Result<SqliteStatement> select = db.Prepare(
      "SELECT a.id, a.run_id, a.action, a.container, a.started_at, a.finished_at, a.result, "
      "a.error FROM run_actions a JOIN runs r ON r.id = a.run_id "
      "WHERE a.result = 'running' AND r.project = ?1 "
      "ORDER BY a.started_at DESC, a.id DESC");
  if (!select.ok()) return select.status();
  select->BindText(1, project);
  return ReadActions(*select);
}

}  // namespace jlrec
