// The state file's schema and how an older file is brought up to date.
#pragma once

#include <vector>

#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// One step of the schema's history: the SQL that turns version `version - 1` into `version`.
/// Steps are append-only: once released, a step's SQL never changes (files in the field were
/// built by it); a change is always a new step.
struct SchemaMigration {
  int version = 0;           ///< the schema version this step produces (1, 2, ...)
  const char* summary = "";  ///< one line, recorded in schema_version
  const char* sql = "";      ///< one or more statements
};

/// The state store's migrations, in order; the last one's version is the current schema.
const std::vector<SchemaMigration>& StateSchemaMigrations();

/// The schema version of `db`: the highest version recorded in its schema_version table, 0
/// for an empty database. kIoError for a database that has tables but no schema_version
/// (not a jlrec state file).
Result<int> ReadSchemaVersion(SqliteDatabase& db);

/// Brings `db` to the last version of `migrations` (which must be numbered 1, 2, ... in
/// order), applying each missing step in its own write transaction together with its
/// schema_version row, so a failed step leaves the file at the previous version. Safe when
/// several processes open the same file at once (each step re-reads the version under the
/// write lock). A file whose version is newer than the last step is refused, unchanged, with
/// a message naming both versions.
Status MigrateSchema(SqliteDatabase& db, const std::vector<SchemaMigration>& migrations);

}  // namespace jlrec
