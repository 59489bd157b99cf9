// The failed actions not yet redone, in PostgreSQL (see state/failure_table.h for SQLite).
#pragma once

#include <string>
#include <vector>

#include "model/action_failure.h"
#include "state/pg_connection.h"

namespace jlrec {

/// See StateStore::SaveFailure.
Status PgSaveFailure(PgConnection& conn, const std::string& project, const ActionFailure& failure);
/// See StateStore::ClearFailure.
Status PgClearFailure(PgConnection& conn, const std::string& project, const std::string& host,
                      const std::string& container);
/// See StateStore::ListFailures.
Result<std::vector<ActionFailure>> PgListFailures(PgConnection& conn, const std::string& project);

}  // namespace jlrec
