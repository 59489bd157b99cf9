// The journal of runs and their actions. Every call is its own committed statement, so a
// process killed at any point leaves exactly what it had done on record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/state_store.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// Inserts `run` (started_at 0 = now, result "" = "running"), owner, manifest digest and
/// jlrec version included; returns its id.
Result<std::int64_t> JournalBeginRun(SqliteDatabase& db, const RunRecord& run);
/// Sets finished_at = now, `result` and `detail` of run `id`; kNotFound if there is none.
Status JournalFinishRun(SqliteDatabase& db, std::int64_t id, const std::string& result,
                        const std::string& detail);
/// Inserts `action` (started_at 0 = now, result "" = "running"); kNotFound for an unknown run.
Result<std::int64_t> JournalActionStart(SqliteDatabase& db, const ActionRecord& action);
/// Sets finished_at = now, `result` and `error` of action `id`; kNotFound if there is none.
Status JournalActionEnd(SqliteDatabase& db, std::int64_t id, const std::string& result,
                        const std::string& error);
/// See StateStore::ListRuns.
Result<std::vector<RunRecord>> JournalListRuns(SqliteDatabase& db, const std::string& project,
                                               const std::string& kind, int limit,
                                               std::int64_t since);
/// See StateStore::LoadRun.
Result<std::optional<RunRecord>> JournalLoadRun(SqliteDatabase& db, std::int64_t id);
/// See StateStore::ListActions.
Result<std::vector<ActionRecord>> JournalListActions(SqliteDatabase& db, std::int64_t run_id);
/// See StateStore::ListUnfinishedActions.
Result<std::vector<ActionRecord>> JournalListUnfinishedActions(SqliteDatabase& db,
                                                               const std::string& project);

}  // namespace jlrec
