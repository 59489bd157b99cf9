#include "state/failure_table.h"

#include <utility>

namespace jlrec {

namespace {

// No row hangs off a failure, so replacing the whole row is safe (unlike a host's).
constexpr const char* kReplaceFailure = R"sql(
INSERT OR REPLACE INTO failures (project, host, container, action, container_id, spec_digest,
                                 script_digest, reason, rolled_back, run_id, failed_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
)sql";

constexpr const char* kDeleteFailure =
    "DELETE FROM failures WHERE project = ?1 AND host = ?2 AND container = ?3";

// BINARY collation, the default, orders as std::string does.
constexpr const char* kSelectFailures = R"sql(
SELECT host, container, action, container_id, spec_digest, script_digest, reason, rolled_back,
       run_id, failed_at
FROM failures WHERE project = ?1 ORDER BY host, container
)sql";

}  // namespace

Status SaveFailureIn(SqliteDatabase& db, const std::string& project, const ActionFailure& failure) {
  Result<SqliteStatement> insert = db.Prepare(kReplaceFailure);
  if (!insert.ok()) return insert.status();
  insert->BindText(1, project)
      .BindText(2, failure.host)
      .BindText(3, failure.container)
      .BindText(4, failure.action)
      .BindText(5, failure.container_id)
      .BindText(6, failure.spec_digest)
      .BindText(7, failure.script_digest)
      .BindText(8, failure.reason)
      .BindInt(9, failure.rolled_back ? 1 : 0)
      .BindInt(10, failure.run_id)
      .BindInt(11, failure.failed_at);
  Status done = insert->Run();
  if (!done.ok())
    return done.WithContext("recording the failed " + failure.action + " of " + failure.Ref());
  return Status::Ok();
}

Status ClearFailureIn(SqliteDatabase& db, const std::string& project, const std::string& host,
                      const std::string& container) {
  Result<SqliteStatement> remove = db.Prepare(kDeleteFailure);
  if (!remove.ok()) return remove.status();
  remove->BindText(1, project).BindText(2, host).BindText(3, container);
  Status done = remove->Run();
  if (!done.ok()) return done.WithContext("forgetting the failure of " + host + "/" + container);
  return Status::Ok();
}

Result<std::vector<ActionFailure>> ListFailuresIn(SqliteDatabase& db, const std::string& project) {
  Result<SqliteStatement> select = db.Prepare(kSelectFailures);
  if (!select.ok()) return select.status();
  select->BindText(1, project);
  std::vector<ActionFailure> failures;
  Status read = ForEachRow(*select, [&](const SqliteStatement& row) {
    ActionFailure failure;
    failure.host = row.ColumnText(0);
    failure.container = row.ColumnText(1);
    failure.action = row.ColumnText(2);
    failure.container_id = row.ColumnText(3);
    failure.spec_digest = row.ColumnText(4);
    failure.script_digest = row.ColumnText(5);
    failure.reason = row.ColumnText(6);
    failure.rolled_back = row.ColumnInt(7) != 0;
    failure.run_id = row.ColumnInt(8);
    failure.failed_at = row.ColumnInt(9);
    failures.push_back(std::move(failure));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return failures;
}

}  // namespace jlrec
