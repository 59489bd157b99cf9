// The failed actions not yet redone (engine/action_failure.h), one per container of a
// project, so a failed deploy never reads as in sync once the container happens to look
// like the manifest.
#pragma once

#include <string>
#include <vector>

#include "model/action_failure.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// See StateStore::SaveFailure. Every field is stored as given (failed_at 0 stays 0).
Status SaveFailureIn(SqliteDatabase& db, const std::string& project, const ActionFailure& failure);

/// See StateStore::ClearFailure.
Status ClearFailureIn(SqliteDatabase& db, const std::string& project, const std::string& host,
                      const std::string& container);

/// See StateStore::ListFailures (sorted bytewise, as std::string compares).
Result<std::vector<ActionFailure>> ListFailuresIn(SqliteDatabase& db, const std::string& project);

}  // namespace jlrec
