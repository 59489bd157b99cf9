// A whole SQLite state as a StateDump and back (`jlrec state migrate`): the SQLite side of
// StateStore::ExportState and StateStore::ImportState, made of the table functions so each
// column keeps its one encoding.
#pragma once

#include "model/state_dump.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// See StateStore::ExportState: everything, read in one read transaction.
Result<StateDump> ExportSqliteState(SqliteDatabase& db);

/// See StateStore::ImportState: `dump` written in one write transaction, or nothing.
/// Runs, actions and drift checks get new ids; failures' and adoptions' run_id follow their
/// run (0 when the dump holds no run of that id: the run was never in the source's journal,
/// and another run of the target may have its old id). A cached host keeps its times,
/// reachability, error and containers.
Status ImportSqliteState(SqliteDatabase& db, const StateDump& dump, bool replace);

}  // namespace jlrec
