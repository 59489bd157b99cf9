// The run journal and release records in PostgreSQL (see state/run_journal.h and
// state/release_table.h for SQLite).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/release_record.h"
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

}  // namespace jlrec
