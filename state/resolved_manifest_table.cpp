#include "state/resolved_manifest_table.h"

namespace jlrec {

Result<std::optional<ResolvedManifestRecord>> LoadResolvedManifestFrom(
    SqliteDatabase& db, const std::string& manifest) {
  Result<SqliteStatement> select = db.Prepare(
      "SELECT inputs, inputs_digest, model, saved_at FROM resolved_manifests WHERE manifest = ?1");
  if (!select.ok()) return select.status();
  select->BindText(1, manifest);
  Result<bool> found = select->Step();
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<ResolvedManifestRecord>();
  ResolvedManifestRecord record;
  record.manifest = manifest;
  record.inputs = select->ColumnText(0);
  record.inputs_digest = select->ColumnText(1);
  record.model = select->ColumnText(2);
  record.saved_at = select->ColumnInt(3);
  return std::optional<ResolvedManifestRecord>(std::move(record));
}

Result<std::string> ResolvedManifestDigestIn(SqliteDatabase& db, const std::string& manifest) {
  Result<SqliteStatement> select =
      db.Prepare("SELECT inputs_digest FROM resolved_manifests WHERE manifest = ?1");
  if (!select.ok()) return select.status();
  select->BindText(1, manifest);
  Result<bool> found = select->Step();
  if (!found.ok()) return found.status();
  return *found ? select->ColumnText(0) : std::string();
}

Status SaveResolvedManifestIn(SqliteDatabase& db, const ResolvedManifestRecord& record) {
  Result<SqliteStatement> upsert = db.Prepare(R"sql(
INSERT INTO resolved_manifests (manifest, inputs, inputs_digest, model, saved_at)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (manifest) DO UPDATE SET
  inputs = excluded.inputs, inputs_digest = excluded.inputs_digest, model = excluded.model,
  saved_at = excluded.saved_at
)sql");
  if (!upsert.ok()) return upsert.status();
  upsert->BindText(1, record.manifest)
      .BindText(2, record.inputs)
      .BindText(3, record.inputs_digest)
      .BindBlob(4, record.model)
      .BindInt(5, record.saved_at);
  return upsert->Run();
}

}  // namespace jlrec
