// The resolved-manifest cache keyed by (machine, manifest): the same path on two control
// machines is two checkouts, never one record.
#include "state/postgres_resolved_manifests.h"

#include <utility>

namespace jlrec {

Result<std::optional<ResolvedManifestRecord>> PgLoadResolvedManifest(PgConnection& conn,
                                                                     const std::string& machine,
                                                                     const std::string& manifest) {
  Result<PgResult> rows = conn.Query(
      "SELECT inputs, inputs_digest, model, saved_at FROM resolved_manifests "
      "WHERE machine = $1 AND manifest = $2",
      PgParams().Text(machine).Text(manifest));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return std::optional<ResolvedManifestRecord>();
  ResolvedManifestRecord record;
  record.manifest = manifest;
  record.inputs = rows->Text(0, 0);
  record.inputs_digest = rows->Text(0, 1);
  Result<std::string> model = rows->Bytes(0, 2);
  if (!model.ok()) return model.status().WithContext("resolved manifest of " + manifest);
  record.model = std::move(*model);
  record.saved_at = rows->Int(0, 3);
  return std::optional<ResolvedManifestRecord>(std::move(record));
}

Result<std::string> PgResolvedManifestDigest(PgConnection& conn, const std::string& machine,
                                             const std::string& manifest) {
  Result<PgResult> rows = conn.Query(
      "SELECT inputs_digest FROM resolved_manifests WHERE machine = $1 AND manifest = $2",
      PgParams().Text(machine).Text(manifest));
  if (!rows.ok()) return rows.status();
  return rows->rows() == 0 ? std::string() : rows->Text(0, 0);
}

Status PgSaveResolvedManifest(PgConnection& conn, const std::string& machine,
                              const ResolvedManifestRecord& record) {
  return conn.Run(R"sql(
INSERT INTO resolved_manifests (machine, manifest, inputs, inputs_digest, model, saved_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (machine, manifest) DO UPDATE SET
  inputs = excluded.inputs, inputs_digest = excluded.inputs_digest, model = excluded.model,
  saved_at = excluded.saved_at
)sql",
                  PgParams()
                      .Text(machine)
                      .Text(record.manifest)
                      .Text(record.inputs)
                      .Text(record.inputs_digest)
                      .Bytes(record.model)
                      .Int(record.saved_at));
}

}  // namespace jlrec
