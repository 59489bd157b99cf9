// The refresh cache: hosts and their containers, as the latest refresh of each host saw them.
#pragma once

#include <string>
#include <vector>

#include "model/live_state.h"
#include "model/state_store.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// Records `snapshots` of `project` in one write transaction (the caller's when one is open:
/// state/sqlite_joined_transaction.h): a reachable host's containers are replaced; an
/// unreachable host keeps its containers and last success time, and gets reachable = 0 and
/// the error. Either every snapshot is recorded or none is.
Status SaveSnapshotsToCache(SqliteDatabase& db, const std::string& project,
                            const std::vector<HostSnapshot>& snapshots);

/// The cached snapshot of each of `hosts` of `project`, in the order asked, read in one
/// consistent transaction, the caller's when one is open (see StateStore::LoadSnapshots).
Result<std::vector<HostSnapshot>> LoadSnapshotsFromCache(SqliteDatabase& db,
                                                         const std::string& project,
                                                         const std::vector<std::string>& hosts);

/// Every cached host of `project`, sorted by host key.
Result<std::vector<CachedHostRecord>> ListCachedHostsOf(SqliteDatabase& db,
                                                        const std::string& project);

}  // namespace jlrec
