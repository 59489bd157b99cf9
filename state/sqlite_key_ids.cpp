#include "state/sqlite_key_ids.h"

#include <utility>

namespace jlrec {

namespace {

Status CheckKeyId(const std::string& project, const std::string& key_id) {
  if (project.empty()) return Status::InvalidArgument("a state key id needs a project");
  if (key_id.empty())
    return Status::InvalidArgument("an empty state key id for project " + project);
  return Status::Ok();
}

}  // namespace

Result<std::string> ClaimStateKeyIdIn(SqliteDatabase& db, const std::string& project,
                                      const std::string& key_id) {
  if (Status valid = CheckKeyId(project, key_id); !valid.ok()) return valid;
  Result<SqliteStatement> insert = db.Prepare(
      "INSERT INTO state_key_ids (project, key_id) VALUES (?1, ?2) ON CONFLICT (project) DO "
      "NOTHING");
  if (!insert.ok()) return insert.status();
  Result<SqliteStatement> select =
      db.Prepare("SELECT key_id FROM state_key_ids WHERE project = ?1");
  if (!select.ok()) return select.status();
  // The write lock up front: the read below sees what this claim or an earlier one left.
  Result<SqliteTransaction> tx = SqliteTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  insert->BindText(1, project).BindText(2, key_id);
  Status s = insert->Run();
  if (!s.ok()) return s.WithContext("recording the state key id of project " + project);
  select->BindText(1, project);
  Result<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("the state key id of project " + project + " vanished");
  std::string recorded = select->ColumnText(0);
  select->Reset();
  s = tx->Commit();
  if (!s.ok()) return s;
  return recorded;
}

Result<std::vector<StateDump::KeyId>> ListStateKeyIdsIn(SqliteDatabase& db) {
  Result<SqliteStatement> select =
      db.Prepare("SELECT project, key_id FROM state_key_ids ORDER BY project");
  if (!select.ok()) return select.status();
  std::vector<StateDump::KeyId> ids;
  Status read = ForEachRow(*select, [&](const SqliteStatement& row) {
    ids.push_back(StateDump::KeyId{row.ColumnText(0), row.ColumnText(1)});
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return ids;
}

Status InsertStateKeyIdIn(SqliteDatabase& db, const std::string& project,
                          const std::string& key_id) {
  if (Status valid = CheckKeyId(project, key_id); !valid.ok()) return valid;
  Result<SqliteStatement> insert =
      db.Prepare("INSERT INTO state_key_ids (project, key_id) VALUES (?1, ?2)");
  if (!insert.ok()) return insert.status();
  insert->BindText(1, project).BindText(2, key_id);
  Status s = insert->Run();
  if (!s.ok()) return s.WithContext("recording the state key id of project " + project);
  return Status::Ok();
}

Status ForgetStateKeyIdIn(SqliteDatabase& db, const std::string& project) {
  Result<SqliteStatement> remove = db.Prepare("DELETE FROM state_key_ids WHERE project = ?1");
  if (!remove.ok()) return remove.status();
  remove->BindText(1, project);
  return remove->Run();
}

}  // namespace jlrec
