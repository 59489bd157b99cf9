// A thin RAII layer over the SQLite C API that turns every SQLite failure into a Status
// carrying SQLite's own message. Internal to state/: nothing outside state/ includes it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/status.h"

namespace jlrec {

/// The Status for SQLite result code `rc` on connection `db` (may be null), its message
/// starting "<context>: ". What the operator can act on is said plainly, naming the database
/// file: a full disk (SQLITE_FULL, or an I/O error whose errno is ENOSPC) as kIoError "no
/// space left on device (PATH)"; SQLite's own lock on the file kept by another connection
/// (busy/locked) as kTimeout "the state file PATH is locked by another process (SQLite
/// busy)..."; a damaged file (corrupt, not a database) as kIoError "the state file PATH is
/// damaged (...)". Otherwise "<sqlite message> (<code name>) [PATH]" with constraint ->
/// kInvalidArgument, misuse/range -> kInternal, anything else -> kIoError.
Status SqliteError(sqlite3* db, int rc, std::string_view context);

/// `limit` as an SQL LIMIT value: <= 0 means no limit (SQLite reads a negative LIMIT so).
inline std::int64_t SqlLimit(int limit) { return limit > 0 ? limit : -1; }

/// One prepared statement. Bind errors are remembered and reported by the next Step/Run, so
/// binds can be chained. Move-only; finalized on destruction.
class SqliteStatement {
 public:
  /// An empty statement; only useful as a move target.
  SqliteStatement() = default;
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  /// Binds integer `value` to 1-based parameter `index`.
  SqliteStatement& BindInt(int index, std::int64_t value);
  /// Binds `value` (copied, embedded NULs kept) to 1-based parameter `index`.
  SqliteStatement& BindText(int index, std::string_view value);
  /// Binds `value` (copied, any bytes) as a BLOB to 1-based parameter `index`.
  SqliteStatement& BindBlob(int index, std::string_view value);
  /// Binds `value`, or NULL when it is nullopt.
  SqliteStatement& BindOptionalText(int index, const std::optional<std::string>& value);

  /// Advances the statement: true when a row is available, false when done.
  Result<bool> Step();
  /// Steps until done (for statements that return no rows we need).
  Status Run();
  /// Makes the statement runnable again and clears its bindings and remembered bind error.
  void Reset();

  /// Column `col` (0-based) of the current row as an integer (NULL reads as 0).
  std::int64_t ColumnInt(int col) const;
  /// Column `col` of the current row as text, byte-exact (NULL reads as "").
  std::string ColumnText(int col) const;
  /// Column `col` of the current row as raw bytes (a BLOB's or a TEXT's), without a copy:
  /// valid until the next Step, Reset or column call on this statement.
  std::string_view ColumnBytes(int col) const;
  /// True when column `col` of the current row is NULL.
  bool ColumnIsNull(int col) const;

 private:
  friend class SqliteDatabase;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void NoteBindResult(int rc, int index);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  Status bind_error_;
};

/// Steps `statement` to completion, calling `on_row(statement)` (which returns a Status) for
/// each row; stops at the first error, SQLite's or the callback's.
template <typename OnRow>
Status ForEachRow(SqliteStatement& statement, OnRow&& on_row) {
  for (;;) {
    Result<bool> row = statement.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    Status handled = on_row(statement);
    if (!handled.ok()) return handled;
  }
}

/// One connection to a database file. Move-only; closed on destruction.
class SqliteDatabase {
 public:
  /// Opens `path` read-write (creating it if needed) with extended result codes enabled.
  /// The connection must be used by one thread at a time.
  static Result<SqliteDatabase> Open(const std::string& path);

  SqliteDatabase(SqliteDatabase&& other) noexcept;
  SqliteDatabase& operator=(SqliteDatabase&& other) noexcept;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;
  ~SqliteDatabase();

  /// Runs `sql` (one or more statements, no results wanted).
  Status Exec(const std::string& sql);
  /// Prepares exactly one statement.
  Result<SqliteStatement> Prepare(std::string_view sql);
  /// The Status for result code `rc` on this connection (see SqliteError).
  Status Error(int rc, std::string_view context) const;
  /// Rows changed by the most recent INSERT/UPDATE/DELETE on this connection.
  std::int64_t Changes() const;
  /// Rowid of the most recent successful INSERT on this connection.
  std::int64_t LastInsertRowid() const;
  /// True while an explicit transaction is open.
  bool InTransaction() const;
  /// The path the connection was opened with (for messages).
  const std::string& path() const { return path_; }
  /// The raw handle, for the few C calls this class does not wrap.
  sqlite3* handle() const { return db_; }

 private:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// An open transaction; rolled back on destruction unless committed. Move-only.
class SqliteTransaction {
 public:
  /// kRead: BEGIN DEFERRED (a consistent snapshot for several reads).
  /// kWrite: BEGIN IMMEDIATE, taking the write lock up front so the busy timeout applies
  /// (a deferred transaction that upgrades to a writer in WAL mode can fail with
  /// SQLITE_BUSY without retrying).
  enum class Mode { kRead, kWrite };

  /// Begins a transaction on `db`; `db` must outlive the transaction.
  static Result<SqliteTransaction> Begin(SqliteDatabase& db, Mode mode);

  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  /// Commits; afterwards the destructor does nothing.
  Status Commit();

 private:
  explicit SqliteTransaction(SqliteDatabase* db) : db_(db) {}
  SqliteDatabase* db_ = nullptr;  // null once committed, rolled back or moved from
};

}  // namespace jlrec
