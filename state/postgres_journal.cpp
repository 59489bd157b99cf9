// The run journal and release records on PostgreSQL: the statements of state/run_journal.cpp
// and state/release_table.cpp, each call committed at once (a statement outside any
// transaction is its own), so other processes and machines see a run as it goes.
#include "state/postgres_journal.h"

#include <unordered_map>
#include <utility>

#include "state/json_columns.h"
#include "state/local_process.h"
#include "state/pg_array.h"

namespace jlrec {

namespace {

constexpr const char* kRunning = "running";

// Runs `update` ($1 the id, $2 now, $3 the result, $4 the text) on `what` `id`: kNotFound
// when the journal has no such row.
Status RecordEnd(PgConnection& conn, const char* update, const char* what, std::int64_t id,
                 const std::string& result, const std::string& text) {
  Result<PgResult> updated =
      conn.Query(update, PgParams().Int(id).Int(UnixNow()).Text(result).Text(text));
  const std::string name = std::string(what) + " " + std::to_string(id);
  if (!updated.ok()) return updated.status().WithContext("recording the end of " + name);
  if (updated->Affected() == 0) return Status::NotFound(name + " is not in the journal");
  return Status::Ok();
}

constexpr const char* kRunColumns =
    "SELECT id, kind, project, groups, started_at, finished_at, result, detail, owner, "
    "manifest_digest, jlrec_version FROM runs ";

Result<std::vector<RunRecord>> ReadRuns(const PgResult& rows) {
  std::vector<RunRecord> runs;
  runs.reserve(static_cast<std::size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    RunRecord run;
    run.id = rows.Int(i, 0);
    run.kind = rows.Text(i, 1);
    run.project = rows.Text(i, 2);
    Result<std::vector<std::string>> groups = StringListFromJson(rows.Text(i, 3), "runs.groups");
    if (!groups.ok()) return groups.status().WithContext("run " + std::to_string(run.id));
    run.groups = std::move(*groups);
    run.started_at = rows.Int(i, 4);
    run.finished_at = rows.Int(i, 5);
    run.result = rows.Text(i, 6);
    run.detail = rows.Text(i, 7);
    run.owner = rows.Text(i, 8);
    run.manifest_digest = rows.Text(i, 9);
    run.jlrec_version = rows.Text(i, 10);
    runs.push_back(std::move(run));
  }
  return runs;
}

std::vector<ActionRecord> ReadActions(const PgResult& rows) {
  std::vector<ActionRecord> actions;
  actions.reserve(static_cast<std::size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    ActionRecord action;
    action.id = rows.Int(i, 0);
    action.run_id = rows.Int(i, 1);
    action.action = rows.Text(i, 2);
    action.container = rows.Text(i, 3);
    action.started_at = rows.Int(i, 4);
    action.finished_at = rows.Int(i, 5);
    action.result = rows.Text(i, 6);
    action.error = rows.Text(i, 7);
    actions.push_back(std::move(action));
  }
  return actions;
}

constexpr const char* kReleaseColumns =
    "SELECT host, container, groups, core, action, outcome, image, image_digest, image_id, "
    "container_id, script_digest, run_id FROM release_containers ";

Result<ReleasedContainer> ReadReleased(const PgResult& rows, int i) {
  ReleasedContainer c;
  c.host = rows.Text(i, 0);
  c.container = rows.Text(i, 1);
  Result<std::vector<std::string>> groups =
      StringListFromJson(rows.Text(i, 2), "release_containers.groups");
  if (!groups.ok())
    return groups.status().WithContext("release record of run " + rows.Text(i, 11) + ", " +
                                       c.Ref());
  c.groups = std::move(*groups);
  c.core = rows.Bool(i, 3);
  c.action = rows.Text(i, 4);
  c.outcome = rows.Text(i, 5);
  c.image = rows.Text(i, 6);
  c.image_digest = rows.Text(i, 7);
  c.image_id = rows.Text(i, 8);
  c.container_id = rows.Text(i, 9);
  c.script_digest = rows.Text(i, 10);
  return c;
}

PgBatch ReleaseBatch(PgConnection& conn) {
  return PgBatch(conn,
                 "INSERT INTO release_containers (run_id, position, host, container, groups, "
                 "core, action, outcome, image, image_digest, image_id, container_id, "
                 "script_digest) SELECT * FROM unnest($1::bigint[], $2::integer[], $3::text[], "
                 "$4::text[], $5::text[], $6::boolean[], $7::text[], $8::text[], $9::text[], "
                 "$10::text[], $11::text[], $12::text[], $13::text[])",
                 13);
}

void AddRelease(PgBatch& batch, std::int64_t run_id,
                const std::vector<ReleasedContainer>& containers) {
  std::int64_t position = 0;
  for (const ReleasedContainer& c : containers)
    batch.Add()
        .Int(run_id)
        .Int(position++)
        .Text(c.host)
        .Text(c.container)
        .Text(StringListToJson(c.groups))
        .Bool(c.core)
        .Text(c.action)
        .Text(c.outcome)
        .Text(c.image)
        .Text(c.image_digest)
        .Text(c.image_id)
        .Text(c.container_id)
        .Text(c.script_digest);
}

// A LIMIT parameter: NULL (no limit) for <= 0, as the interface says.
PgParams& AddLimit(PgParams& params, int limit) {
  return limit > 0 ? params.Int(limit) : params.Null();
}

}  // namespace

Result<std::int64_t> PgBeginRun(PgConnection& conn, const RunRecord& run) {
  Result<PgResult> inserted = conn.Query(
      "INSERT INTO runs (kind, project, groups, started_at, finished_at, result, detail, owner, "
      "manifest_digest, jlrec_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
      "RETURNING id",
      PgParams()
          .Text(run.kind)
          .Text(run.project)
          .Text(StringListToJson(run.groups))
          .Int(run.started_at != 0 ? run.started_at : UnixNow())
          .Int(run.finished_at)
          .Text(run.result.empty() ? kRunning : run.result)
          .Text(run.detail)
          .Text(run.owner)
          .Text(run.manifest_digest)
          .Text(run.jlrec_version));
  if (!inserted.ok())
    return inserted.status().WithContext("recording the start of a " + run.kind + " run");
  return inserted->Int(0, 0);
}

Status PgFinishRun(PgConnection& conn, std::int64_t id, const std::string& result,
                   const std::string& detail) {
  return RecordEnd(conn, "UPDATE runs SET finished_at = $2, result = $3, detail = $4 WHERE id = $1",
                   "run", id, result, detail);
}

Result<std::int64_t> PgRecordActionStart(PgConnection& conn, const ActionRecord& action) {
  // Inserted only when the run exists, so an unknown run reads as kNotFound (as in SQLite)
  // rather than as the foreign key's violation.
  Result<PgResult> inserted = conn.Query(
      "INSERT INTO run_actions (run_id, action, container, started_at, finished_at, result, "
      "error) SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1) "
      "RETURNING id",
      PgParams()
          .Int(action.run_id)
          .Text(action.action)
          .Text(action.container)
          .Int(action.started_at != 0 ? action.started_at : UnixNow())
          .Int(action.finished_at)
          .Text(action.result.empty() ? kRunning : action.result)
          .Text(action.error));
  if (!inserted.ok())
    return inserted.status().WithContext("recording the start of " + action.action + " " +
                                         action.container);
  if (inserted->rows() == 0)
    return Status::NotFound("run " + std::to_string(action.run_id) +
                            " is not in the journal (recording " + action.action + " " +
                            action.container + ")");
  return inserted->Int(0, 0);
}

Status PgRecordActionEnd(PgConnection& conn, std::int64_t id, const std::string& result,
                         const std::string& error) {
  return RecordEnd(conn,
                   "UPDATE run_actions SET finished_at = $2, result = $3, error = $4 WHERE id = $1",
                   "action", id, result, error);
}

Result<std::vector<RunRecord>> PgListRuns(PgConnection& conn, const std::string& project,
                                          const std::string& kind, int limit, std::int64_t since) {
  PgParams params;
  params.Text(kind).Int(since);
  AddLimit(params, limit).Text(project);
  Result<PgResult> rows = conn.Query(
      std::string(kRunColumns) +
          "WHERE ($1 = '' OR kind = $1) AND started_at >= $2 AND ($4 = '' OR project = $4) "
          "ORDER BY started_at DESC, id DESC LIMIT $3",
      params);
  if (!rows.ok()) return rows.status();
  return ReadRuns(*rows);
}

Result<std::optional<RunRecord>> PgLoadRun(PgConnection& conn, std::int64_t id) {
  Result<PgResult> rows =
      conn.Query(std::string(kRunColumns) + "WHERE id = $1", PgParams().Int(id));
  if (!rows.ok()) return rows.status();
  Result<std::vector<RunRecord>> runs = ReadRuns(*rows);
  if (!runs.ok()) return runs.status();
  if (runs->empty()) return std::optional<RunRecord>();
  return std::optional<RunRecord>(std::move(runs->front()));
}

Result<std::vector<ActionRecord>> PgListActions(PgConnection& conn, std::int64_t run_id) {
  Result<PgResult> rows = conn.Query(
      "SELECT id, run_id, action, container, started_at, finished_at, result, error "
      "FROM run_actions WHERE run_id = $1 ORDER BY id",
      PgParams().Int(run_id));
  if (!rows.ok()) return rows.status();
  return ReadActions(*rows);
}

Result<std::vector<ActionRecord>> PgListUnfinishedActions(PgConnection& conn,
                                                          const std::string& project) {
  // 'running' is written out (not a parameter) so the planner can use the partial index
  // run_actions_running, which holds only those rows.
  Result<PgResult> rows = conn.Query(
      "SELECT a.id, a.run_id, a.action, a.container, a.started_at, a.finished_at, a.result, "
      "a.error FROM run_actions a JOIN runs r ON r.id = a.run_id "
      "WHERE a.result = 'running' AND r.project = $1 "
      "ORDER BY a.started_at DESC, a.id DESC",
      PgParams().Text(project));
  if (!rows.ok()) return rows.status();
  return ReadActions(*rows);
}

Status PgRecordRelease(PgConnection& conn, std::int64_t run_id,
                       const std::vector<ReleasedContainer>& containers) {
  Result<PgTransaction> tx = PgTransaction::Begin(conn);
  if (!tx.ok()) return tx.status();
  // Checked up front rather than left to the foreign key (an empty record inserts no row),
  // and the run's row locked so that it cannot disappear before the record is in.
  Result<PgResult> run =
      conn.Query("SELECT 1 FROM runs WHERE id = $1 FOR SHARE", PgParams().Int(run_id));
  if (!run.ok()) return run.status();
  if (run->rows() == 0)
    return Status::NotFound("run " + std::to_string(run_id) +
                            " is not in the journal (recording its release)");
  Status s = conn.Run("DELETE FROM release_containers WHERE run_id = $1", PgParams().Int(run_id));
  if (s.ok()) {
    PgBatch batch = ReleaseBatch(conn);
    AddRelease(batch, run_id, containers);
    s = batch.Finish();
  }
  if (!s.ok())
    return s.WithContext("recording the release record of run " + std::to_string(run_id));
  return tx->Commit();
}

Result<std::vector<ReleasedContainer>> PgListRelease(PgConnection& conn, std::int64_t run_id) {
  Result<PgResult> rows = conn.Query(
      std::string(kReleaseColumns) + "WHERE run_id = $1 ORDER BY position", PgParams().Int(run_id));
  if (!rows.ok()) return rows.status();
  std::vector<ReleasedContainer> containers;
  for (int i = 0; i < rows->rows(); ++i) {
    Result<ReleasedContainer> c = ReadReleased(*rows, i);
    if (!c.ok()) return c.status();
    containers.push_back(std::move(*c));
  }
  return containers;
}

Result<std::vector<StateDump::Run>> PgReadJournal(PgConnection& conn) {
  Result<PgResult> run_rows = conn.Query(std::string(kRunColumns) + "ORDER BY id");
  if (!run_rows.ok()) return run_rows.status();
  Result<std::vector<RunRecord>> runs = ReadRuns(*run_rows);
  if (!runs.ok()) return runs.status();
  std::vector<StateDump::Run> journal(runs->size());
  std::unordered_map<std::int64_t, StateDump::Run*> by_id;
  for (std::size_t i = 0; i < runs->size(); ++i) {
    journal[i].run = std::move((*runs)[i]);
    by_id[journal[i].run.id] = &journal[i];
  }

  Result<PgResult> action_rows = conn.Query(
      "SELECT id, run_id, action, container, started_at, finished_at, result, error "
      "FROM run_actions ORDER BY run_id, id");
  if (!action_rows.ok()) return action_rows.status();
  for (ActionRecord& action : ReadActions(*action_rows))
    by_id.at(action.run_id)->actions.push_back(std::move(action));  // the foreign key holds

  Result<PgResult> release_rows =
      conn.Query(std::string(kReleaseColumns) + "ORDER BY run_id, position");
  if (!release_rows.ok()) return release_rows.status();
  for (int i = 0; i < release_rows->rows(); ++i) {
    Result<ReleasedContainer> c = ReadReleased(*release_rows, i);
    if (!c.ok()) return c.status();
    by_id.at(release_rows->Int(i, 11))->release.push_back(std::move(*c));
  }
  return journal;
}

Result<std::unordered_map<std::int64_t, std::int64_t>> PgWriteJournal(
    PgConnection& conn, const std::vector<StateDump::Run>& runs) {
  std::size_t action_count = 0;
  for (const StateDump::Run& r : runs) action_count += r.actions.size();
  Result<std::vector<std::int64_t>> run_ids = PgNewIds(conn, "jlrec.runs", runs.size());
  if (!run_ids.ok()) return run_ids.status();
  Result<std::vector<std::int64_t>> action_ids = PgNewIds(conn, "jlrec.run_actions", action_count);
  if (!action_ids.ok()) return action_ids.status();

  std::unordered_map<std::int64_t, std::int64_t> new_id;
  PgBatch run_batch(conn,
                    "INSERT INTO runs (id, kind, project, groups, started_at, finished_at, "
                    "result, detail, owner, manifest_digest, jlrec_version) "
                    "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], "
                    "$5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], "
                    "$10::text[], $11::text[])",
                    11);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& run = runs[i].run;
    if (!new_id.emplace(run.id, (*run_ids)[i]).second)
      return Status::InvalidArgument("the state to import holds run " + std::to_string(run.id) +
                                     " twice");
    run_batch.Add()
        .Int((*run_ids)[i])
        .Text(run.kind)
        .Text(run.project)
        .Text(StringListToJson(run.groups))
        .Int(run.started_at)
        .Int(run.finished_at)
        .Text(run.result)
        .Text(run.detail)
        .Text(run.owner)
        .Text(run.manifest_digest)
        .Text(run.jlrec_version);
  }
  Status s = run_batch.Finish();
  if (!s.ok()) return s.WithContext("writing the journal's runs");

  PgBatch action_batch(conn,
                       "INSERT INTO run_actions (id, run_id, action, container, started_at, "
                       "finished_at, result, error) SELECT * FROM unnest($1::bigint[], "
                       "$2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], "
                       "$7::text[], $8::text[])",
                       8);
  PgBatch release_batch = ReleaseBatch(conn);
  std::size_t next_action = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::int64_t run_id = (*run_ids)[i];
    // An action belongs to the run it is listed under, whatever its own run_id says.
    for (const ActionRecord& a : runs[i].actions)
      action_batch.Add()
          .Int((*action_ids)[next_action++])
          .Int(run_id)
          .Text(a.action)
          .Text(a.container)
          .Int(a.started_at)
          .Int(a.finished_at)
          .Text(a.result)
          .Text(a.error);
    AddRelease(release_batch, run_id, runs[i].release);
  }
  s = action_batch.Finish();
  if (!s.ok()) return s.WithContext("writing the journal's actions");
  s = release_batch.Finish();
  if (!s.ok()) return s.WithContext("writing the release records");
  return new_id;
}

Result<std::vector<std::int64_t>> PgNewIds(PgConnection& conn, const char* table,
                                           std::size_t count) {
  if (count == 0) return std::vector<std::int64_t>();
  Result<PgResult> rows = conn.Query(
      "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2) "
      "ORDER BY id",
      PgParams().Text(table).Int(static_cast<std::int64_t>(count)));
  if (!rows.ok()) return rows.status();
  std::vector<std::int64_t> ids;
  ids.reserve(count);
  for (int i = 0; i < rows->rows(); ++i) ids.push_back(rows->Int(i, 0));
  return ids;
}

}  // namespace jlrec
