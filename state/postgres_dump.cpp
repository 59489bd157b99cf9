// A whole PostgreSQL state as a StateDump and back. The export reads in one REPEATABLE READ
// transaction (one consistent snapshot while others keep writing); the import writes in one
// transaction with batched statements (a hundred thousand actions in seconds), so a failed
// or refused import leaves the database exactly as it was.
#include "state/postgres_dump.h"

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "state/json_columns.h"
#include "state/pg_array.h"
#include "state/postgres_drift_history.h"
#include "state/postgres_journal.h"
#include "state/postgres_snapshot_cache.h"

namespace jlrec {

namespace {

// Serialises imports against each other (a transaction-level advisory lock, released at
// commit or rollback): two imports of the same project cannot both find it empty. A
// constant no other jlrec lock key equals (those are hashes of names; the schema migration
// uses 7433830066010157056).
constexpr const char* kImportLock = "SELECT pg_advisory_xact_lock(7433830066010157057)";

// Sorted in byte order (COLLATE "C"), as SQLite sorts and whatever the database's locale.
Result<std::vector<StateDump::Failure>> ReadFailures(PgConnection& conn) {
  Result<PgResult> rows = conn.Query(
      "SELECT project, host, container, action, container_id, spec_digest, script_digest, "
      "reason, rolled_back, run_id, failed_at FROM failures "
      "ORDER BY project COLLATE \"C\", host COLLATE \"C\", container COLLATE \"C\"");
  if (!rows.ok()) return rows.status();
  std::vector<StateDump::Failure> failures;
  for (int i = 0; i < rows->rows(); ++i) {
    StateDump::Failure f;
    f.project = rows->Text(i, 0);
    f.failure.host = rows->Text(i, 1);
    f.failure.container = rows->Text(i, 2);
    f.failure.action = rows->Text(i, 3);
    f.failure.container_id = rows->Text(i, 4);
    f.failure.spec_digest = rows->Text(i, 5);
    f.failure.script_digest = rows->Text(i, 6);
    f.failure.reason = rows->Text(i, 7);
    f.failure.rolled_back = rows->Bool(i, 8);
    f.failure.run_id = rows->Int(i, 9);
    f.failure.failed_at = rows->Int(i, 10);
    failures.push_back(std::move(f));
  }
  return failures;
}

Result<std::vector<StateDump::Adopted>> ReadAdoptions(PgConnection& conn) {
  Result<PgResult> rows = conn.Query(
      "SELECT project, host, container, container_id, spec_digest, groups, core, run_id, "
      "adopted_at FROM adoptions "
      "ORDER BY project COLLATE \"C\", host COLLATE \"C\", container COLLATE \"C\"");
  if (!rows.ok()) return rows.status();
  std::vector<StateDump::Adopted> adoptions;
  for (int i = 0; i < rows->rows(); ++i) {
    StateDump::Adopted a;
    a.project = rows->Text(i, 0);
    a.adoption.host = rows->Text(i, 1);
    a.adoption.container = rows->Text(i, 2);
    a.adoption.container_id = rows->Text(i, 3);
    a.adoption.spec_digest = rows->Text(i, 4);
    Result<std::vector<std::string>> groups =
        StringListFromJson(rows->Text(i, 5), "adoptions.groups");
    if (!groups.ok()) return groups.status().WithContext("adoption of " + a.adoption.Ref());
    a.adoption.groups = std::move(*groups);
    a.adoption.core = rows->Bool(i, 6);
    a.adoption.run_id = rows->Int(i, 7);
    a.adoption.adopted_at = rows->Int(i, 8);
    adoptions.push_back(std::move(a));
  }
  return adoptions;
}

Result<std::vector<StateDump::KeyId>> ReadKeyIds(PgConnection& conn) {
  Result<PgResult> rows =
      conn.Query("SELECT project, key_id FROM state_key_ids ORDER BY project COLLATE \"C\"");
  if (!rows.ok()) return rows.status();
  std::vector<StateDump::KeyId> key_ids;
  for (int i = 0; i < rows->rows(); ++i) key_ids.push_back({rows->Text(i, 0), rows->Text(i, 1)});
  return key_ids;
}

// The tables that hold a project's data, each with its own project column (the rows of
// run_actions, release_containers, drift_findings and containers go with theirs).
constexpr const char* kProjectTables[] = {"runs",      "drift_checks", "failures",
                                          "adoptions", "hosts",        "state_key_ids"};

// The projects of `projects` (an array literal) that the database holds anything of, sorted.
Result<std::vector<std::string>> OccupiedProjects(PgConnection& conn, const std::string& projects) {
  std::string select;
  for (const char* table : kProjectTables) {
    if (!select.empty()) select += " UNION ";
    select += std::string("SELECT project FROM ") + table + " WHERE project = ANY($1::text[])";
  }
  Result<PgResult> rows = conn.Query(select + " ORDER BY 1", PgParams().Text(projects));
  if (!rows.ok()) return rows.status();
  std::vector<std::string> occupied;
  for (int i = 0; i < rows->rows(); ++i) occupied.push_back(rows->Text(i, 0));
  return occupied;
}

Status DeleteProjects(PgConnection& conn, const std::string& projects) {
  for (const char* table : kProjectTables) {
    Status s = conn.Run(std::string("DELETE FROM ") + table + " WHERE project = ANY($1::text[])",
                        PgParams().Text(projects));
    if (!s.ok()) return s.WithContext(std::string("deleting the replaced projects' ") + table);
  }
  return Status::Ok();
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "\"" : ", \"") + name + "\"";
  return out;
}

// A run id as written: the new id of a run the dump carried, else 0 (a failure or adoption
// may outlive its run, and the old id could name an unrelated run here), as the SQLite
// store's import does.
std::int64_t Remapped(const std::unordered_map<std::int64_t, std::int64_t>& new_id,
                      std::int64_t run_id) {
  auto found = new_id.find(run_id);
  return found != new_id.end() ? found->second : 0;
}

Status WriteFailures(PgConnection& conn, const std::vector<StateDump::Failure>& failures,
                     const std::unordered_map<std::int64_t, std::int64_t>& new_id) {
  PgBatch batch(conn,
                "INSERT INTO failures (project, host, container, action, container_id, "
                "spec_digest, script_digest, reason, rolled_back, run_id, failed_at) "
                "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
                "$5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[], $10::bigint[], "
                "$11::bigint[])",
                11);
  for (const StateDump::Failure& f : failures)
    batch.Add()
        .Text(f.project)
        .Text(f.failure.host)
        .Text(f.failure.container)
        .Text(f.failure.action)
        .Text(f.failure.container_id)
        .Text(f.failure.spec_digest)
        .Text(f.failure.script_digest)
        .Text(f.failure.reason)
        .Bool(f.failure.rolled_back)
        .Int(Remapped(new_id, f.failure.run_id))
        .Int(f.failure.failed_at);
  return batch.Finish();
}

Status WriteAdoptions(PgConnection& conn, const std::vector<StateDump::Adopted>& adoptions,
                      const std::unordered_map<std::int64_t, std::int64_t>& new_id) {
  PgBatch batch(conn,
                "INSERT INTO adoptions (project, host, container, container_id, spec_digest, "
                "groups, core, run_id, adopted_at) SELECT * FROM unnest($1::text[], $2::text[], "
                "$3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::bigint[], "
                "$9::bigint[])",
                9);
  for (const StateDump::Adopted& a : adoptions)
    batch.Add()
        .Text(a.project)
        .Text(a.adoption.host)
        .Text(a.adoption.container)
        .Text(a.adoption.container_id)
        .Text(a.adoption.spec_digest)
        .Text(StringListToJson(a.adoption.groups))
        .Bool(a.adoption.core)
        .Int(Remapped(new_id, a.adoption.run_id))
        .Int(a.adoption.adopted_at);
  return batch.Finish();
}

Status WriteKeyIds(PgConnection& conn, const std::vector<StateDump::KeyId>& key_ids) {
  PgBatch batch(conn,
                "INSERT INTO state_key_ids (project, key_id) "
                "SELECT * FROM unnest($1::text[], $2::text[])",
                2);
  for (const StateDump::KeyId& k : key_ids) batch.Add().Text(k.project).Text(k.key_id);
  return batch.Finish();
}

// Everything of `dump` after the conflict check, inside the import's transaction.
Status WriteDump(PgConnection& conn, const StateDump& dump) {
  Result<std::unordered_map<std::int64_t, std::int64_t>> new_id = PgWriteJournal(conn, dump.runs);
  if (!new_id.ok()) return new_id.status();
  Status s = PgWriteDriftHistory(conn, dump.drift_checks);
  if (!s.ok()) return s.WithContext("writing the drift history");
  s = WriteFailures(conn, dump.failures, *new_id);
  if (!s.ok()) return s.WithContext("writing the failed actions");
  s = WriteAdoptions(conn, dump.adoptions, *new_id);
  if (!s.ok()) return s.WithContext("writing the adoptions");
  for (const StateDump::Host& host : dump.hosts) {
    s = PgWriteCachedHost(conn, host.project, host.record, host.containers);
    if (!s.ok())
      return s.WithContext("writing the cached host " + host.record.host + " of project \"" +
                           host.project + "\"");
  }
  s = WriteKeyIds(conn, dump.key_ids);
  if (!s.ok()) return s.WithContext("writing the state key ids");
  return Status::Ok();
}

}  // namespace

Result<StateDump> PgExportState(PgConnection& conn) {
  Result<PgTransaction> tx = PgTransaction::Begin(conn, PgTransaction::Isolation::kRepeatableRead);
  if (!tx.ok()) return tx.status();
  StateDump dump;
  Result<std::vector<StateDump::Run>> runs = PgReadJournal(conn);
  if (!runs.ok()) return runs.status().WithContext("reading the journal");
  dump.runs = std::move(*runs);
  Result<std::vector<DriftCheckRecord>> checks = PgReadDriftHistory(conn);
  if (!checks.ok()) return checks.status().WithContext("reading the drift history");
  dump.drift_checks = std::move(*checks);
  Result<std::vector<StateDump::Failure>> failures = ReadFailures(conn);
  if (!failures.ok()) return failures.status().WithContext("reading the failed actions");
  dump.failures = std::move(*failures);
  Result<std::vector<StateDump::Adopted>> adoptions = ReadAdoptions(conn);
  if (!adoptions.ok()) return adoptions.status().WithContext("reading the adoptions");
  dump.adoptions = std::move(*adoptions);
  Result<std::vector<StateDump::Host>> hosts = PgReadCachedHosts(conn);
  if (!hosts.ok()) return hosts.status().WithContext("reading the cached hosts");
  dump.hosts = std::move(*hosts);
  Result<std::vector<StateDump::KeyId>> key_ids = ReadKeyIds(conn);
  if (!key_ids.ok()) return key_ids.status().WithContext("reading the state key ids");
  dump.key_ids = std::move(*key_ids);
  Status done = tx->Commit();
  if (!done.ok()) return done;
  return dump;
}

Status PgImportState(PgConnection& conn, const StateDump& dump, bool replace) {
  const std::vector<std::string> projects = dump.Projects();
  PgArray project_array;
  for (const std::string& project : projects) project_array.Text(project);
  const std::string project_list = project_array.Literal();

  Result<PgTransaction> tx = PgTransaction::Begin(conn);
  if (!tx.ok()) return tx.status();
  Status s = conn.Exec(kImportLock);
  if (!s.ok()) return s;
  Result<std::vector<std::string>> occupied = OccupiedProjects(conn, project_list);
  if (!occupied.ok()) return occupied.status();
  if (!occupied->empty()) {
    if (!replace)
      return Status::Conflict("the state database " + conn.url() + " already holds state of " +
                              (occupied->size() == 1 ? "project " : "projects ") +
                              Joined(*occupied) +
                              "; nothing was imported (replacing it "
                              "deletes that project's journal, drift history, failed actions, "
                              "adoptions, cached hosts and state key id first)");
    s = DeleteProjects(conn, project_list);
    if (!s.ok()) return s;
  }
  s = WriteDump(conn, dump);
  if (!s.ok()) return s.WithContext("importing a state into " + conn.url());
  return tx->Commit();
}

}  // namespace jlrec
