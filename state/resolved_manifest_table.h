// The resolved-manifest cache table (schema version 4): one record per manifest path.
#pragma once

#include <optional>
#include <string>

#include "model/state_store.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// See StateStore::LoadResolvedManifest.
Result<std::optional<ResolvedManifestRecord>> LoadResolvedManifestFrom(SqliteDatabase& db,
                                                                       const std::string& manifest);
/// See StateStore::ResolvedManifestDigest.
Result<std::string> ResolvedManifestDigestIn(SqliteDatabase& db, const std::string& manifest);
/// See StateStore::SaveResolvedManifest.
Status SaveResolvedManifestIn(SqliteDatabase& db, const ResolvedManifestRecord& record);

}  // namespace jlrec
