// A whole PostgreSQL state as a StateDump and back (`jlrec state migrate`).
#pragma once

#include "model/state_dump.h"
#include "state/pg_connection.h"

namespace jlrec {

/// See StateStore::ExportState (one REPEATABLE READ transaction).
Result<StateDump> PgExportState(PgConnection& conn);
/// See StateStore::ImportState.
Status PgImportState(PgConnection& conn, const StateDump& dump, bool replace);

}  // namespace jlrec
