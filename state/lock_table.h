// Named locks held in the state file, so one apply (or one drift check) per project runs at
// a time across processes. A lock row names its holder; a holder that died on this machine
// is detected by pid and its lock taken over.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "model/state_store.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// Takes lock `info.name` (empty owner/hostname, pid 0 and since 0 are filled with this
/// process's user@host, hostname, pid and the current time), polling with short sleeps
/// until `timeout` has passed. Each attempt is one write transaction, so two processes can
/// never both take it. A holder on this machine whose pid is gone is replaced and returned.
/// kConflict naming owner, pid, hostname and since when the lock stays held; the lock is
/// not re-entrant (a second acquire by the same pid conflicts too).
Result<std::optional<LockInfo>> AcquireLockIn(SqliteDatabase& db, const LockInfo& info,
                                              std::chrono::milliseconds timeout);
/// Deletes lock `name` if its holder's pid is `pid`. Ok when the lock is not held at all;
/// kConflict naming the holder when someone else holds it.
Status ReleaseLockIn(SqliteDatabase& db, const std::string& name, std::int64_t pid);
/// Deletes lock `name` whoever holds it; returns the previous holder if any.
Result<std::optional<LockInfo>> ForceUnlockIn(SqliteDatabase& db, const std::string& name);
/// The holder of lock `name`, if any.
Result<std::optional<LockInfo>> LockHolderIn(SqliteDatabase& db, const std::string& name);

}  // namespace jlrec
