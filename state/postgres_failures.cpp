#include "state/postgres_failures.h"

#include <utility>

namespace jlrec {

namespace {

// An upsert of every column: nothing hangs off a failure row.
constexpr const char* kUpsertFailure = R"sql(
INSERT INTO failures (project, host, container, action, container_id, spec_digest,
                      script_digest, reason, rolled_back, run_id, failed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (project, host, container) DO UPDATE SET
  action = excluded.action, container_id = excluded.container_id,
  spec_digest = excluded.spec_digest, script_digest = excluded.script_digest,
  reason = excluded.reason, rolled_back = excluded.rolled_back, run_id = excluded.run_id,
  failed_at = excluded.failed_at
)sql";

// COLLATE "C": byte order, as std::string and SQLite's BINARY order (the database's own
// collation may be a locale's).
constexpr const char* kSelectFailures = R"sql(
SELECT host, container, action, container_id, spec_digest, script_digest, reason, rolled_back,
       run_id, failed_at
FROM failures WHERE project = $1 ORDER BY host COLLATE "C", container COLLATE "C"
)sql";

}  // namespace

Status PgSaveFailure(PgConnection& conn, const std::string& project, const ActionFailure& failure) {
  Status done = conn.Run(kUpsertFailure, PgParams()
                                             .Text(project)
                                             .Text(failure.host)
                                             .Text(failure.container)
                                             .Text(failure.action)
                                             .Text(failure.container_id)
                                             .Text(failure.spec_digest)
                                             .Text(failure.script_digest)
                                             .Text(failure.reason)
                                             .Bool(failure.rolled_back)
                                             .Int(failure.run_id)
                                             .Int(failure.failed_at));
  if (!done.ok())
    return done.WithContext("recording the failed " + failure.action + " of " + failure.Ref());
  return Status::Ok();
}

Status PgClearFailure(PgConnection& conn, const std::string& project, const std::string& host,
                      const std::string& container) {
  Status done = conn.Run("DELETE FROM failures WHERE project = $1 AND host = $2 AND container = $3",
                         PgParams().Text(project).Text(host).Text(container));
  if (!done.ok()) return done.WithContext("forgetting the failure of " + host + "/" + container);
  return Status::Ok();
}

Result<std::vector<ActionFailure>> PgListFailures(PgConnection& conn, const std::string& project) {
  Result<PgResult> rows = conn.Query(kSelectFailures, PgParams().Text(project));
  if (!rows.ok()) return rows.status();
  std::vector<ActionFailure> failures;
  failures.reserve(static_cast<std::size_t>(rows->rows()));
  for (int r = 0; r < rows->rows(); ++r) {
    ActionFailure failure;
    failure.host = rows->Text(r, 0);
    failure.container = rows->Text(r, 1);
    failure.action = rows->Text(r, 2);
    failure.container_id = rows->Text(r, 3);
    failure.spec_digest = rows->Text(r, 4);
    failure.script_digest = rows->Text(r, 5);
    failure.reason = rows->Text(r, 6);
    failure.rolled_back = rows->Bool(r, 7);
    failure.run_id = rows->Int(r, 8);
    failure.failed_at = rows->Int(r, 9);
    failures.push_back(std::move(failure));
  }
  return failures;
}

}  // namespace jlrec
