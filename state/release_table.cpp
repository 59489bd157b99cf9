#include "state/release_table.h"

#include <string>
#include <utility>

#include "state/json_columns.h"
#include "state/sqlite_joined_transaction.h"

namespace jlrec {

namespace {

constexpr const char* kInsertReleased = R"sql(
INSERT INTO release_containers (run_id, position, host, container, groups, core, action,
                                outcome, image, image_digest, image_id, container_id,
                                script_digest)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
)sql";

constexpr const char* kSelectRelease = R"sql(
SELECT host, container, groups, core, action, outcome, image, image_digest, image_id,
       container_id, script_digest
FROM release_containers WHERE run_id = ?1 ORDER BY position
)sql";

// Checked up front rather than left to the foreign key: an empty record inserts no row, so
// the key alone would accept it for a run that does not exist.
Status RequireRun(SqliteDatabase& db, std::int64_t run_id) {
  Result<SqliteStatement> select = db.Prepare("SELECT 1 FROM runs WHERE id = ?1");
  if (!select.ok()) return select.status();
  select->BindInt(1, run_id);
  Result<bool> found = select->Step();
  if (!found.ok()) return found.status();
  if (!*found)
    return Status::NotFound("run " + std::to_string(run_id) +
                            " is not in the journal (recording its release)");
  return Status::Ok();
}

}  // namespace

Status RecordReleaseIn(SqliteDatabase& db, std::int64_t run_id,
                       const std::vector<ReleasedContainer>& containers) {
  Result<SqliteStatement> remove = db.Prepare("DELETE FROM release_containers WHERE run_id = ?1");
  if (!remove.ok()) return remove.status();
  Result<SqliteStatement> insert = db.Prepare(kInsertReleased);
  if (!insert.ok()) return insert.status();

  Result<JoinedTransaction> tx = JoinedTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  // Under the write lock, so the run cannot disappear before the rows are in.
  Status s = RequireRun(db, run_id);
  if (!s.ok()) return s;
  remove->BindInt(1, run_id);
  s = remove->Run();
  if (!s.ok())
    return s.WithContext("replacing the release record of run " + std::to_string(run_id));
  std::int64_t position = 0;
  for (const ReleasedContainer& c : containers) {
    insert->Reset();
    insert->BindInt(1, run_id)
        .BindInt(2, position++)
        .BindText(3, c.host)
        .BindText(4, c.container)
        .BindText(5, StringListToJson(c.groups))
        .BindInt(6, c.core ? 1 : 0)
        .BindText(7, c.action)
        .BindText(8, c.outcome)
        .BindText(9, c.image)
        .BindText(10, c.image_digest)
        .BindText(11, c.image_id)
        .BindText(12, c.container_id)
        .BindText(13, c.script_digest);
    s = insert->Run();
    if (!s.ok())
      return s.WithContext("recording " + c.Ref() + " in the release record of run " +
                           std::to_string(run_id));
  }
  return tx->Commit();
}

Result<std::vector<ReleasedContainer>> ListReleaseIn(SqliteDatabase& db, std::int64_t run_id) {
  Result<SqliteStatement> select = db.Prepare(kSelectRelease);
  if (!select.ok()) return select.status();
  select->BindInt(1, run_id);
  std::vector<ReleasedContainer> containers;
  Status read = ForEachRow(*select, [&](const SqliteStatement& row) {
    ReleasedContainer c;
    c.host = row.ColumnText(0);
    c.container = row.ColumnText(1);
    Result<std::vector<std::string>> groups =
        StringListFromJson(row.ColumnText(2), "release_containers.groups");
    if (!groups.ok())
      return groups.status().WithContext("release record of run " + std::to_string(run_id) + ", " +
                                         c.Ref());
    c.groups = std::move(*groups);
    c.core = row.ColumnInt(3) != 0;
    c.action = row.ColumnText(4);
    c.outcome = row.ColumnText(5);
    c.image = row.ColumnText(6);
    c.image_digest = row.ColumnText(7);
    c.image_id = row.ColumnText(8);
    c.container_id = row.ColumnText(9);
    c.script_digest = row.ColumnText(10);
    containers.push_back(std::move(c));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return containers;
}

}  // namespace jlrec
