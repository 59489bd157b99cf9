// The state key id each project's digests are made under (schema version 6), in the SQLite
// state: see StateStore::ClaimStateKeyId.
#pragma once

#include <string>
#include <vector>

#include "model/state_dump.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// Records `key_id` for `project` unless one is recorded already, and returns the recorded
/// one, in one write transaction (two processes claiming at once both get the first one's).
/// kInvalidArgument for an empty project or key id.
Result<std::string> ClaimStateKeyIdIn(SqliteDatabase& db, const std::string& project,
                                      const std::string& key_id);

/// Deletes the key id recorded for `project`, if any.
Status ForgetStateKeyIdIn(SqliteDatabase& db, const std::string& project);

/// Every recorded key id, sorted by project. Joins the caller's transaction, if any.
Result<std::vector<StateDump::KeyId>> ListStateKeyIdsIn(SqliteDatabase& db);

/// Records `key_id` for `project`, which must have none (kInvalidArgument otherwise). Meant
/// for a caller's open write transaction (ImportState's).
Status InsertStateKeyIdIn(SqliteDatabase& db, const std::string& project,
                          const std::string& key_id);

}  // namespace jlrec
