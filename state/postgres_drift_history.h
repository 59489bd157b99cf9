// The drift check history in PostgreSQL (see state/drift_history.h for SQLite).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/state_store.h"
#include "state/pg_connection.h"

namespace jlrec {

/// See StateStore::RecordDriftCheck.
Result<std::int64_t> PgRecordDriftCheck(PgConnection& conn, const DriftCheckRecord& check);
/// See StateStore::ListDriftChecks.
Result<std::vector<DriftCheckRecord>> PgListDriftChecks(PgConnection& conn,
                                                        const std::string& project,
                                                        std::int64_t since, int limit);

}  // namespace jlrec
