// The history of drift checks and their findings (issue 7), so `jlrec history --drift` can
// show when drift appeared and when it was fixed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/state_store.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// See StateStore::RecordDriftCheck. One write transaction: the caller's when one is open.
Result<std::int64_t> RecordDriftCheckIn(SqliteDatabase& db, const DriftCheckRecord& check);

/// See StateStore::ListDriftChecks. One read transaction: the caller's when one is open.
Result<std::vector<DriftCheckRecord>> ListDriftChecksIn(SqliteDatabase& db,
                                                        const std::string& project,
                                                        std::int64_t since, int limit);

}  // namespace jlrec
