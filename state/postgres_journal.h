// The run journal and release records in PostgreSQL (see state/run_journal.h and
// state/release_table.h for SQLite).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/release_record.h"
#include "model/state_dump.h"
#include "model/state_store.h"
#include "state/pg_connection.h"

namespace jlrec {

/// See StateStore::BeginRun.
Result<std::int64_t> PgBeginRun(PgConnection& conn, const RunRecord& run);
/// See StateStore::FinishRun.
Status PgFinishRun(PgConnection& conn, std::int64_t id, const std::string& result,
                   const std::string& detail);
/// See StateStore::RecordActionStart.
Result<std::int64_t> PgRecordActionStart(PgConnection& conn, const ActionRecord& action);
/// See StateStore::RecordActionEnd.
Status PgRecordActionEnd(PgConnection& conn, std::int64_t id, const std::string& result,
                         const std::string& error);
/// See StateStore::ListRuns.
Result<std::vector<RunRecord>> PgListRuns(PgConnection& conn, const std::string& project,
                                          const std::string& kind, int limit, std::int64_t since);
/// See StateStore::LoadRun.
Result<std::optional<RunRecord>> PgLoadRun(PgConnection& conn, std::int64_t id);
/// See StateStore::ListActions.
Result<std::vector<ActionRecord>> PgListActions(PgConnection& conn, std::int64_t run_id);
/// See StateStore::ListUnfinishedActions.
Result<std::vector<ActionRecord>> PgListUnfinishedActions(PgConnection& conn,
                                                          const std::string& project);
/// See StateStore::RecordRelease.
Status PgRecordRelease(PgConnection& conn, std::int64_t run_id,
                       const std::vector<ReleasedContainer>& containers);
/// See StateStore::ListRelease.
Result<std::vector<ReleasedContainer>> PgListRelease(PgConnection& conn, std::int64_t run_id);

/// Every run, first recorded first, each with its actions and release record (for
/// ExportState, inside its transaction).
Result<std::vector<StateDump::Run>> PgReadJournal(PgConnection& conn);
/// Writes `runs` as they are (times, results and all) in batches, with new ids in their
/// order, each run's actions and release record going with it; returns each run's old id
/// -> new id. kInvalidArgument when two runs have the same id. Opens no transaction: the
/// caller's (ImportState) holds it.
Result<std::unordered_map<std::int64_t, std::int64_t>> PgWriteJournal(
    PgConnection& conn, const std::vector<StateDump::Run>& runs);
/// `count` new values of the identity column "id" of `table` (schema-qualified), ascending:
/// rows written with them sort as they were given.
Result<std::vector<std::int64_t>> PgNewIds(PgConnection& conn, const char* table,
                                           std::size_t count);

}  // namespace jlrec
