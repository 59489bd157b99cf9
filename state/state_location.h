// Where a state lives: an SQLite file (the default, one operator) or a PostgreSQL database
// (a team: several operators, checkouts and `jlrec serve` sharing one journal and one lock).
#pragma once

#include <string>

#include "model/status.h"

namespace jlrec {

/// A parsed `--state` value (also JLREC_STATE and the manifest's `state:` key).
struct StateLocation {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  /// kSqlite: the file's path. kPostgres: the connection URL as given (libpq reads it; it
  /// holds no password: ParseStateLocation refuses one).
  std::string target;

  bool is_postgres() const { return kind == Kind::kPostgres; }
  /// What messages and logs may show: the path, or the URL (which never holds a password).
  const std::string& Display() const { return target; }
};

/// `postgresql://...` or `postgres://...` (libpq's URI form) is a PostgreSQL database;
/// anything else is the path of an SQLite file. kInvalidArgument for an empty value, for a
/// URL that carries a password (`user:secret@` or `password=`: it would be shown wherever
/// the URL is, in ps, logs and shell history; the password comes from PGPASSWORD,
/// ~/.pgpass or PGPASSFILE, as for every libpq program), or for a URL libpq cannot parse.
Result<StateLocation> ParseStateLocation(const std::string& value);

}  // namespace jlrec
