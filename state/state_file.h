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
/// Must run before SQLite opens the file (it opens and closes descriptors of it).
Status PrepareStateFile(const std::string& path);

/// Tightens `path` and its companions to owner-only, by path (no file descriptor is opened,
/// so it is safe while SQLite holds the database open).
Status TightenStateFiles(const std::string& path);

}  // namespace jlrec
