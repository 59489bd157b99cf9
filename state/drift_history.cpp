#include "state/drift_history.h"

#include <utility>

#include "state/json_columns.h"
#include "state/local_process.h"
#include "state/sqlite_joined_transaction.h"

namespace jlrec {

namespace {

bool IsDriftResult(const std::string& result) {
  return result == "in_sync" || result == "drift" || result == "error";
}

Status ReadFindings(SqliteStatement& select, DriftCheckRecord& check) {
  select.Reset();
  select.BindInt(1, check.id);
  return ForEachRow(select, [&](const SqliteStatement& row) {
    check.findings.push_back(DriftFinding{row.ColumnText(0), row.ColumnText(1), row.ColumnText(2)});
    return Status::Ok();
  });
}

}  // namespace

Result<std::int64_t> RecordDriftCheckIn(SqliteDatabase& db, const DriftCheckRecord& check) {
  if (!IsDriftResult(check.result))
    return Status::InvalidArgument("drift check result \"" + check.result +
                                   "\" is not one of in_sync, drift, error");
  Result<SqliteStatement> insert_check = db.Prepare(
      "INSERT INTO drift_checks (project, groups, checked_at, result, detail) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert_check.ok()) return insert_check.status();
  Result<SqliteStatement> insert_finding = db.Prepare(
      "INSERT INTO drift_findings (check_id, container, kind, detail) VALUES (?1, ?2, ?3, ?4)");
  if (!insert_finding.ok()) return insert_finding.status();

  Result<JoinedTransaction> tx = JoinedTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  insert_check->BindText(1, check.project)
      .BindText(2, StringListToJson(check.groups))
      .BindInt(3, check.checked_at != 0 ? check.checked_at : UnixNow())
      .BindText(4, check.result)
      .BindText(5, check.detail);
  Status s = insert_check->Run();
  if (!s.ok()) return s.WithContext("recording a drift check");
  const std::int64_t id = db.LastInsertRowid();
  for (const DriftFinding& finding : check.findings) {
    insert_finding->Reset();
    insert_finding->BindInt(1, id)
        .BindText(2, finding.container)
        .BindText(3, finding.kind)
        .BindText(4, finding.detail);
    s = insert_finding->Run();
    if (!s.ok()) return s.WithContext("recording a drift finding on " + finding.container);
  }
  s = tx->Commit();
  if (!s.ok()) return s;
  return id;
}

Result<std::vector<DriftCheckRecord>> ListDriftChecksIn(SqliteDatabase& db,
                                                        const std::string& project,
                                                        std::int64_t since, int limit) {
  Result<SqliteStatement> select_checks = db.Prepare(
      "SELECT id, project, groups, checked_at, result, detail FROM drift_checks "
      "WHERE project = ?1 AND checked_at >= ?2 ORDER BY checked_at DESC, id DESC LIMIT ?3");
  if (!select_checks.ok()) return select_checks.status();
  Result<SqliteStatement> select_findings = db.Prepare(
      "SELECT container, kind, detail FROM drift_findings WHERE check_id = ?1 ORDER BY id");
  if (!select_findings.ok()) return select_findings.status();
  Result<JoinedTransaction> tx = JoinedTransaction::Begin(db, SqliteTransaction::Mode::kRead);
  if (!tx.ok()) return tx.status();

  select_checks->BindText(1, project).BindInt(2, since).BindInt(3, SqlLimit(limit));
  std::vector<DriftCheckRecord> checks;
  Status read = ForEachRow(*select_checks, [&](const SqliteStatement& row) {
    DriftCheckRecord check;
    check.id = row.ColumnInt(0);
    check.project = row.ColumnText(1);
    Result<std::vector<std::string>> groups =
        StringListFromJson(row.ColumnText(2), "drift_checks.groups");
    if (!groups.ok()) return groups.status().WithContext("drift check " + std::to_string(check.id));
    check.groups = std::move(*groups);
    check.checked_at = row.ColumnInt(3);
    check.result = row.ColumnText(4);
    check.detail = row.ColumnText(5);
    checks.push_back(std::move(check));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  for (DriftCheckRecord& check : checks) {
    Status s = ReadFindings(*select_findings, check);
    if (!s.ok()) return s;
  }
  Status done = tx->Commit();
  if (!done.ok()) return done;
  return checks;
}

}  // namespace jlrec
