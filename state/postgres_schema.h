// The PostgreSQL state schema and its migrations. The tables are those of the SQLite state
// (state/schema_migrations.cpp) in PostgreSQL's types, in a schema of their own ("jlrec"),
// every row keyed by its project so that several projects share one database.
#pragma once

#include <string>
#include <vector>

#include "model/status.h"
#include "state/pg_connection.h"

namespace jlrec {

/// One step of the PostgreSQL schema; versions count from 1 without gaps.
struct PostgresMigration {
  int version;
  const char* summary;
  const char* sql;
};

/// Every migration this jlrec knows, oldest first.
const std::vector<PostgresMigration>& PostgresStateMigrations();

/// The schema version of the database (0: no jlrec schema yet).
Result<int> ReadPostgresSchemaVersion(PgConnection& conn);

/// Brings the database to the latest version of `migrations`, each step in one transaction
/// under a transaction-level advisory lock (two jlrec processes meeting a new database
/// migrate it once). A database at a newer version is refused with kIoError naming both
/// versions and the URL, and is not modified.
Status MigratePostgresSchema(PgConnection& conn, const std::vector<PostgresMigration>& migrations);

}  // namespace jlrec
