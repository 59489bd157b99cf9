// The release record of each apply or rollback run (engine/release_record.h): what every
// container of the run's groups runs once it is over, for `jlrec history` and
// `jlrec rollback`.
#pragma once

#include <cstdint>
#include <vector>

#include "model/release_record.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// See StateStore::RecordRelease: deletes the run's earlier rows and inserts `containers`
/// in order, in one write transaction (the caller's when one is open); kNotFound (nothing written)
/// when run `run_id` is not in the journal.
Status RecordReleaseIn(SqliteDatabase& db, std::int64_t run_id,
                       const std::vector<ReleasedContainer>& containers);

/// See StateStore::ListRelease. kIoError when a stored groups list is malformed.
Result<std::vector<ReleasedContainer>> ListReleaseIn(SqliteDatabase& db, std::int64_t run_id);

}  // namespace jlrec
