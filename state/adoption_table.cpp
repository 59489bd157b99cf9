#include "state/adoption_table.h"

#include <utility>

#include "state/json_columns.h"

namespace jlrec {

namespace {

// No row hangs off an adoption, so replacing the whole row is safe.
constexpr const char* kReplaceAdoption = R"sql(
INSERT OR REPLACE INTO adoptions (project, host, container, container_id, spec_digest, groups,
                                  core, run_id, adopted_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
)sql";

constexpr const char* kDeleteAdoption =
    "DELETE FROM adoptions WHERE project = ?1 AND host = ?2 AND container = ?3";

constexpr const char* kSelectAdoptions = R"sql(
SELECT host, container, container_id, spec_digest, groups, core, run_id, adopted_at
FROM adoptions WHERE project = ?1 ORDER BY host, container
)sql";

}  // namespace

Status SaveAdoptionIn(SqliteDatabase& db, const std::string& project, const Adoption& adoption) {
  Result<SqliteStatement> insert = db.Prepare(kReplaceAdoption);
  if (!insert.ok()) return insert.status();
  insert->BindText(1, project)
      .BindText(2, adoption.host)
      .BindText(3, adoption.container)
      .BindText(4, adoption.container_id)
      .BindText(5, adoption.spec_digest)
      .BindText(6, StringListToJson(adoption.groups))
      .BindInt(7, adoption.core ? 1 : 0)
      .BindInt(8, adoption.run_id)
      .BindInt(9, adoption.adopted_at);
  Status done = insert->Run();
  if (!done.ok()) return done.WithContext("recording the adoption of " + adoption.Ref());
  return Status::Ok();
}

Status ClearAdoptionIn(SqliteDatabase& db, const std::string& project, const std::string& host,
                       const std::string& container) {
  Result<SqliteStatement> remove = db.Prepare(kDeleteAdoption);
  if (!remove.ok()) return remove.status();
  remove->BindText(1, project).BindText(2, host).BindText(3, container);
  Status done = remove->Run();
  if (!done.ok()) return done.WithContext("forgetting the adoption of " + host + "/" + container);
  return Status::Ok();
}

Result<std::vector<Adoption>> ListAdoptionsIn(SqliteDatabase& db, const std::string& project) {
  Result<SqliteStatement> select = db.Prepare(kSelectAdoptions);
  if (!select.ok()) return select.status();
  select->BindText(1, project);
  std::vector<Adoption> adoptions;
  Status read = ForEachRow(*select, [&](const SqliteStatement& row) {
    Adoption adoption;
    adoption.host = row.ColumnText(0);
    adoption.container = row.ColumnText(1);
    adoption.container_id = row.ColumnText(2);
    adoption.spec_digest = row.ColumnText(3);
    auto groups = StringListFromJson(row.ColumnText(4), "adoptions.groups");
    if (!groups.ok()) return groups.status().WithContext(adoption.Ref());
    adoption.groups = std::move(*groups);
    adoption.core = row.ColumnInt(5) != 0;
    adoption.run_id = row.ColumnInt(6);
    adoption.adopted_at = row.ColumnInt(7);
    adoptions.push_back(std::move(adoption));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return adoptions;
}

}  // namespace jlrec
