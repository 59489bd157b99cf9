// The StateStore on a PostgreSQL database (libpq): several operators, checkouts and `jlrec
// serve` share one journal, one refresh cache and one apply lock per project.
#pragma once

#include <memory>
#include <string>

#include "model/state_store.h"

namespace jlrec {

/// Connects to the database at `url` (a libpq URI without a password; the password comes
/// from PGPASSWORD, ~/.pgpass or PGPASSFILE as libpq reads them), creates or migrates the
/// jlrec schema (refusing, with a clear message, a schema newer than this jlrec knows) and
/// returns the store. Locks are PostgreSQL advisory locks, each held on a session of its
/// own: the server releases them when their holder dies. Messages name the URL, never a
/// password.
Result<std::unique_ptr<StateStore>> OpenPostgresStateStore(const std::string& url);

}  // namespace jlrec
