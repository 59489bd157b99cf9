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

/// Every drift check with its findings, first recorded first (for ExportState, inside its
/// transaction).
Result<std::vector<DriftCheckRecord>> PgReadDriftHistory(PgConnection& conn);
/// Writes `checks` as they are, with new ids in their order, findings included, in batches.
/// kInvalidArgument (writing nothing) when a result is not in_sync, drift or error. Opens no
/// transaction: the caller's (ImportState) holds it.
Status PgWriteDriftHistory(PgConnection& conn, const std::vector<DriftCheckRecord>& checks);

}  // namespace jlrec
