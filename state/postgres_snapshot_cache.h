// The refresh cache in PostgreSQL: hosts and their containers, per project (the tables of
// state/postgres_schema.cpp), as state/snapshot_cache.h keeps them in SQLite.
#pragma once

#include <string>
#include <vector>

#include "model/state_dump.h"
#include "model/state_store.h"
#include "state/pg_connection.h"

namespace jlrec {

/// See StateStore::SaveSnapshots: all of `snapshots` in ONE transaction (a failure, a lost
/// connection included, leaves every host as it was).
Status PgSaveSnapshots(PgConnection& conn, const std::string& project,
                       const std::vector<HostSnapshot>& snapshots);
/// See StateStore::LoadSnapshots.
Result<std::vector<HostSnapshot>> PgLoadSnapshots(PgConnection& conn, const std::string& project,
                                                  const std::vector<std::string>& hosts);
/// See StateStore::ListCachedHosts.
Result<std::vector<CachedHostRecord>> PgListCachedHosts(PgConnection& conn,
                                                        const std::string& project);

/// Writes one host's row, container rows and snapshot value exactly as given (times,
/// reachability and error included), replacing what `project` had for that host. Opens no
/// transaction: the caller's (ImportState) holds it.
Status PgWriteCachedHost(PgConnection& conn, const std::string& project,
                         const CachedHostRecord& record,
                         const std::vector<LiveContainer>& containers);
/// Every project's cached hosts with their containers, sorted by project and host (for
/// ExportState, inside its transaction).
Result<std::vector<StateDump::Host>> PgReadCachedHosts(PgConnection& conn);

}  // namespace jlrec
