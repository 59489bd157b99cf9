#include "state/postgres_adoptions.h"

#include <utility>

#include "state/json_columns.h"

namespace jlrec {

namespace {

// An upsert of every column: nothing hangs off an adoption row.
constexpr const char* kUpsertAdoption = R"sql(
INSERT INTO adoptions (project, host, container, container_id, spec_digest, groups, core,
                       run_id, adopted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (project, host, container) DO UPDATE SET
  container_id = excluded.container_id, spec_digest = excluded.spec_digest,
  groups = excluded.groups, core = excluded.core, run_id = excluded.run_id,
  adopted_at = excluded.adopted_at
)sql";

// COLLATE "C": byte order, as std::string and SQLite's BINARY order.
constexpr const char* kSelectAdoptions = R"sql(
SELECT host, container, container_id, spec_digest, groups, core, run_id, adopted_at
FROM adoptions WHERE project = $1 ORDER BY host COLLATE "C", container COLLATE "C"
)sql";

}  // namespace

Status PgSaveAdoption(PgConnection& conn, const std::string& project, const Adoption& adoption) {
  Status done = conn.Run(kUpsertAdoption, PgParams()
                                              .Text(project)
                                              .Text(adoption.host)
                                              .Text(adoption.container)
                                              .Text(adoption.container_id)
                                              .Text(adoption.spec_digest)
                                              .Text(StringListToJson(adoption.groups))
                                              .Bool(adoption.core)
                                              .Int(adoption.run_id)
                                              .Int(adoption.adopted_at));
  if (!done.ok()) return done.WithContext("recording the adoption of " + adoption.Ref());
  return Status::Ok();
}

Status PgClearAdoption(PgConnection& conn, const std::string& project, const std::string& host,
                       const std::string& container) {
  Status done =
      conn.Run("DELETE FROM adoptions WHERE project = $1 AND host = $2 AND container = $3",
               PgParams().Text(project).Text(host).Text(container));
  if (!done.ok()) return done.WithContext("forgetting the adoption of " + host + "/" + container);
  return Status::Ok();
}

Result<std::vector<Adoption>> PgListAdoptions(PgConnection& conn, const std::string& project) {
  Result<PgResult> rows = conn.Query(kSelectAdoptions, PgParams().Text(project));
  if (!rows.ok()) return rows.status();
  std::vector<Adoption> adoptions;
  adoptions.reserve(static_cast<std::size_t>(rows->rows()));
  for (int r = 0; r < rows->rows(); ++r) {
    Adoption adoption;
    adoption.host = rows->Text(r, 0);
    adoption.container = rows->Text(r, 1);
    adoption.container_id = rows->Text(r, 2);
    adoption.spec_digest = rows->Text(r, 3);
    auto groups = StringListFromJson(rows->Text(r, 4), "adoptions.groups");
    if (!groups.ok()) return groups.status().WithContext(adoption.Ref());
    adoption.groups = std::move(*groups);
    adoption.core = rows->Bool(r, 5);
    adoption.run_id = rows->Int(r, 6);
    adoption.adopted_at = rows->Int(r, 7);
    adoptions.push_back(std::move(adoption));
  }
  return adoptions;
}

}  // namespace jlrec
