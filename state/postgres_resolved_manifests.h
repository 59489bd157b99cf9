// The resolved-manifest cache in PostgreSQL, keyed by control machine and manifest path.
#pragma once

#include <optional>
#include <string>

#include "model/state_store.h"
#include "state/pg_connection.h"

namespace jlrec {

/// See StateStore::LoadResolvedManifest (`machine`: this control machine's hostname).
Result<std::optional<ResolvedManifestRecord>> PgLoadResolvedManifest(PgConnection& conn,
                                                                     const std::string& machine,
                                                                     const std::string& manifest);
/// See StateStore::ResolvedManifestDigest.
Result<std::string> PgResolvedManifestDigest(PgConnection& conn, const std::string& machine,
                                             const std::string& manifest);
/// See StateStore::SaveResolvedManifest.
Status PgSaveResolvedManifest(PgConnection& conn, const std::string& machine,
                              const ResolvedManifestRecord& record);

}  // namespace jlrec
