// The drift history on PostgreSQL: the statements of state/drift_history.cpp, each check
// with its findings written in one transaction.
#include "state/postgres_drift_history.h"

#include <unordered_map>
#include <utility>

#include "state/json_columns.h"
#include "state/local_process.h"
#include "state/pg_array.h"
#include "state/postgres_journal.h"

namespace jlrec {

namespace {

bool IsDriftResult(const std::string& result) {
  return result == "in_sync" || result == "drift" || result == "error";
}

Status RefuseResult(const std::string& result) {
  return Status::InvalidArgument("drift check result \"" + result +
                                 "\" is not one of in_sync, drift, error");
}

constexpr const char* kCheckColumns =
    "SELECT id, project, groups, checked_at, result, detail FROM drift_checks ";

// The findings of `checks` (every check there is when `every_check`), attached to them in
// recorded order.
Status ReadFindings(PgConnection& conn, std::vector<DriftCheckRecord>& checks, bool every_check) {
  if (checks.empty()) return Status::Ok();
  PgArray ids;
  std::unordered_map<std::int64_t, DriftCheckRecord*> by_id;
  for (DriftCheckRecord& check : checks) {
    if (!every_check) ids.Int(check.id);
    by_id[check.id] = &check;
  }
  const std::string select = "SELECT check_id, container, kind, detail FROM drift_findings ";
  const std::string order = " ORDER BY check_id, id";
  Result<PgResult> rows = every_check
                              ? conn.Query(select + order)
                              : conn.Query(select + "WHERE check_id = ANY($1::bigint[])" + order,
                                           PgParams().Text(ids.Literal()));
  if (!rows.ok()) return rows.status();
  for (int i = 0; i < rows->rows(); ++i)
    by_id.at(rows->Int(i, 0))
        ->findings.push_back(DriftFinding{rows->Text(i, 1), rows->Text(i, 2), rows->Text(i, 3)});
  return Status::Ok();
}

Result<std::vector<DriftCheckRecord>> ReadChecks(PgConnection& conn, const PgResult& rows,
                                                 bool every_check) {
  std::vector<DriftCheckRecord> checks;
  checks.reserve(static_cast<std::size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    DriftCheckRecord check;
    check.id = rows.Int(i, 0);
    check.project = rows.Text(i, 1);
    Result<std::vector<std::string>> groups =
        StringListFromJson(rows.Text(i, 2), "drift_checks.groups");
    if (!groups.ok()) return groups.status().WithContext("drift check " + std::to_string(check.id));
    check.groups = std::move(*groups);
    check.checked_at = rows.Int(i, 3);
    check.result = rows.Text(i, 4);
    check.detail = rows.Text(i, 5);
    checks.push_back(std::move(check));
  }
  Status s = ReadFindings(conn, checks, every_check);
  if (!s.ok()) return s;
  return checks;
}

PgBatch CheckBatch(PgConnection& conn) {
  return PgBatch(conn,
                 "INSERT INTO drift_checks (id, project, groups, checked_at, result, detail) "
                 "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], "
                 "$5::text[], $6::text[])",
                 6);
}

PgBatch FindingBatch(PgConnection& conn) {
  return PgBatch(conn,
                 "INSERT INTO drift_findings (id, check_id, container, kind, detail) "
                 "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], "
                 "$5::text[])",
                 5);
}

// Writes `checks` with the new ids `check_ids`, their findings with `finding_ids` (as many
// as they have, in order), checked_at 0 written as `now`.
Status WriteChecks(PgConnection& conn, const std::vector<const DriftCheckRecord*>& checks,
                   const std::vector<std::int64_t>& check_ids,
                   const std::vector<std::int64_t>& finding_ids, std::int64_t now) {
  PgBatch check_batch = CheckBatch(conn);
  PgBatch finding_batch = FindingBatch(conn);
  std::size_t next_finding = 0;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const DriftCheckRecord& check = *checks[i];
    check_batch.Add()
        .Int(check_ids[i])
        .Text(check.project)
        .Text(StringListToJson(check.groups))
        .Int(check.checked_at != 0 ? check.checked_at : now)
        .Text(check.result)
        .Text(check.detail);
    for (const DriftFinding& finding : check.findings)
      finding_batch.Add()
          .Int(finding_ids[next_finding++])
          .Int(check_ids[i])
          .Text(finding.container)
          .Text(finding.kind)
          .Text(finding.detail);
  }
  Status s = check_batch.Finish();
  if (!s.ok()) return s.WithContext("recording drift checks");
  s = finding_batch.Finish();
  if (!s.ok()) return s.WithContext("recording drift findings");
  return Status::Ok();
}

// New ids for `checks` and for all their findings, then the rows.
Result<std::vector<std::int64_t>> NewIdsAndWrite(PgConnection& conn,
                                                 const std::vector<const DriftCheckRecord*>& checks,
                                                 std::int64_t now) {
  std::size_t finding_count = 0;
  for (const DriftCheckRecord* check : checks) {
    if (!IsDriftResult(check->result)) return RefuseResult(check->result);
    finding_count += check->findings.size();
  }
  Result<std::vector<std::int64_t>> check_ids = PgNewIds(conn, "jlrec.drift_checks", checks.size());
  if (!check_ids.ok()) return check_ids.status();
  Result<std::vector<std::int64_t>> finding_ids =
      PgNewIds(conn, "jlrec.drift_findings", finding_count);
  if (!finding_ids.ok()) return finding_ids.status();
  Status s = WriteChecks(conn, checks, *check_ids, *finding_ids, now);
  if (!s.ok()) return s;
  return check_ids;
}

}  // namespace

Result<std::int64_t> PgRecordDriftCheck(PgConnection& conn, const DriftCheckRecord& check) {
  if (!IsDriftResult(check.result)) return RefuseResult(check.result);
  Result<PgTransaction> tx = PgTransaction::Begin(conn);
  if (!tx.ok()) return tx.status();
  Result<std::vector<std::int64_t>> ids = NewIdsAndWrite(conn, {&check}, UnixNow());
  if (!ids.ok()) return ids.status();
  Status s = tx->Commit();
  if (!s.ok()) return s.WithContext("recording a drift check");
  return ids->front();
}

Result<std::vector<DriftCheckRecord>> PgListDriftChecks(PgConnection& conn,
                                                        const std::string& project,
                                                        std::int64_t since, int limit) {
  // One snapshot for the checks and their findings, as SQLite's read transaction.
  Result<PgTransaction> tx = PgTransaction::Begin(conn, PgTransaction::Isolation::kRepeatableRead);
  if (!tx.ok()) return tx.status();
  PgParams params;
  params.Text(project).Int(since);
  if (limit > 0) {
    params.Int(limit);
  } else {
    params.Null();
  }
  Result<PgResult> rows = conn.Query(
      std::string(kCheckColumns) +
          "WHERE project = $1 AND checked_at >= $2 ORDER BY checked_at DESC, id DESC LIMIT $3",
      params);
  if (!rows.ok()) return rows.status();
  Result<std::vector<DriftCheckRecord>> checks = ReadChecks(conn, *rows, false);
  if (!checks.ok()) return checks.status();
  Status s = tx->Commit();
  if (!s.ok()) return s;
  return checks;
}

Result<std::vector<DriftCheckRecord>> PgReadDriftHistory(PgConnection& conn) {
  Result<PgResult> rows = conn.Query(std::string(kCheckColumns) + "ORDER BY id");
  if (!rows.ok()) return rows.status();
  return ReadChecks(conn, *rows, true);
}

Status PgWriteDriftHistory(PgConnection& conn, const std::vector<DriftCheckRecord>& checks) {
  std::vector<const DriftCheckRecord*> all;
  all.reserve(checks.size());
  for (const DriftCheckRecord& check : checks) all.push_back(&check);
  return NewIdsAndWrite(conn, all, /*now=*/0).status();  // times exactly as given
}

}  // namespace jlrec
