// Creating the state file and its directory with owner-only permissions before SQLite
// touches them: the cache and journal describe production hosts and belong to one operator.
#pragma once

#include <string>

#include "model/status.h"

namespace jlrec {

/// Makes `path` ready for SQLite: creates missing parent directories with mode 0700, creates
/// the file with mode 0600 if absent, and tightens an existing file (and its -wal/-shm
/// companions, which SQLite creates with the main file's mode) to 0600 when group or others
/// have any access. Never loosens anything.
/// An existing file of 0 bytes (whose -wal holds nothing either) that stays so for 3 s (not
/// one another process is creating) is refused (kIoError naming it): SQLite would take it for
/// a new database, and a state file emptied by accident would silently start over without its
/// journal. `*created` (may be null) tells whether this call
/// created the file.
/// Must run before SQLite opens the file (it opens and closes descriptors of it).
Status PrepareStateFile(const std::string& path, bool* created = nullptr);

/// Removes `path` and its -wal/-shm companions if `path` is still 0 bytes: undoes
/// PrepareStateFile's creation when the first open failed (a full disk), so that the next run
/// creates it afresh instead of refusing an empty file. Call with no connection open on it.
void RemoveEmptyStateFile(const std::string& path);

/// Tightens `path` and its companions to owner-only, by path (no file descriptor is opened,
/// so it is safe while SQLite holds the database open).
Status TightenStateFiles(const std::string& path);

}  // namespace jlrec
