#include "state/sqlite_db.h"

#include <cerrno>
#include <string>
#include <utility>

namespace jlrec {

namespace {

// The start of `sql` on one line, enough to tell which statement failed without flooding the
// message with a whole multi-line schema step.
std::string SqlForMessage(std::string_view sql) {
  constexpr std::size_t kMaxChars = 60;
  std::string out;
  bool pending_space = false;
  for (char ch : sql) {
    if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += ch;
    if (out.size() >= kMaxChars) return out + "...";
  }
  return out;
}

}  // namespace

Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  // The connection's message is only meaningful when it describes this very failure.
  const std::string detail = (db != nullptr && sqlite3_extended_errcode(db) == rc)
                                 ? sqlite3_errmsg(db)
                                 : sqlite3_errstr(rc);
  const char* code_name = sqlite3_errstr(rc);
  const char* filename = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  const std::string path = filename != nullptr ? filename : "";
  const std::string file = path.empty() ? "the state file" : "the state file " + path;
  const std::string where = std::string(context) + ": ";
  // SQLite says "database or disk is full" for SQLITE_FULL, and only "disk I/O error" when a
  // full disk fails another write (the WAL's shared memory, a sync): the errno tells.
  const int system_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Status::IoError(where + "no space left on device (" + path + ")");
    case SQLITE_IOERR:
      if (system_errno == ENOSPC)
        return Status::IoError(where + "no space left on device (" + path + ")");
      if (system_errno == EDQUOT)
        return Status::IoError(where + "disk quota exceeded (" + path + ")");
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      // Not jlrec's own lock (a row of the locks table, held by a named process): SQLite's
      // lock on the file, which another connection kept past the busy timeout.
      return Status::Timeout(where + file +
                             " is locked by another process (SQLite busy): a program holding "
                             "it open in a write transaction, such as an sqlite3 shell");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      // Not a database at all is also what a file cut short or overwritten at its start
      // reads as; another file given as --state would be too.
      return Status::IoError(where + file + " is damaged" +
                             ((rc & 0xff) == SQLITE_NOTADB ? " or is not a jlrec state file" : "") +
                             " (" + detail +
                             "): restore it from a backup, or move it aside to start afresh "
                             "(its journal and releases are then lost)");
    default:
      break;
  }
  std::string message = where + detail;
  if (detail != code_name) message += std::string(" (") + code_name + ")";
  if (!path.empty() && context.find(path) == std::string_view::npos) message += " [" + path + "]";
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Status::InvalidArgument(message);
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return Status::Internal(message);
    default:
      return Status::IoError(message);
  }
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(std::move(other.bind_error_)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

void SqliteStatement::NoteBindResult(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_.ok())
    bind_error_ = SqliteError(db_, rc, "binding parameter " + std::to_string(index));
}

SqliteStatement& SqliteStatement::BindInt(int index, std::int64_t value) {
  NoteBindResult(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

SqliteStatement& SqliteStatement::BindText(int index, std::string_view value) {
  NoteBindResult(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int index, std::string_view value) {
  NoteBindResult(sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT),
                 index);
  return *this;
}

SqliteStatement& SqliteStatement::BindOptionalText(int index,
                                                   const std::optional<std::string>& value) {
  if (value) return BindText(index, *value);
  NoteBindResult(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> SqliteStatement::Step() {
  if (stmt_ == nullptr) return Status::Internal("stepping an empty SQLite statement");
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status error = SqliteError(db_, rc, SqlForMessage(sqlite3_sql(stmt_)));
  // Leave the statement reusable; reset reports the same error again, already captured.
  sqlite3_reset(stmt_);
  return error;
}

Status SqliteStatement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = Status::Ok();
}

std::int64_t SqliteStatement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string_view SqliteStatement::ColumnBytes(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  if (data == nullptr) return {};
  int size = sqlite3_column_bytes(stmt_, col);
  return std::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::string SqliteStatement::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  // Read the size after the text: the conversion to text may change it.
  int size = sqlite3_column_bytes(stmt_, col);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

bool SqliteStatement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Result<SqliteDatabase> SqliteDatabase::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    Status error = SqliteError(db, rc, "opening " + path);
    sqlite3_close_v2(db);  // a handle is returned even on failure; harmless when null
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  return SqliteDatabase(db, path);
}

SqliteDatabase::SqliteDatabase(SqliteDatabase&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

SqliteDatabase& SqliteDatabase::operator=(SqliteDatabase&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

// close_v2 defers the close until any leftover statement is finalized, so destruction order
// between statements and their connection does not matter.
SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

Status SqliteDatabase::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text is available from sqlite3_errmsg
  if (rc != SQLITE_OK) return Error(rc, SqlForMessage(sql));
  return Status::Ok();
}

Result<SqliteStatement> SqliteDatabase::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, "preparing " + SqlForMessage(sql));
  }
  if (stmt == nullptr) return Status::Internal("preparing an empty SQL statement");
  return SqliteStatement(db_, stmt);
}

Status SqliteDatabase::Error(int rc, std::string_view context) const {
  return SqliteError(db_, rc, context);
}

std::int64_t SqliteDatabase::Changes() const { return sqlite3_changes64(db_); }

std::int64_t SqliteDatabase::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

bool SqliteDatabase::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Result<SqliteTransaction> SqliteTransaction::Begin(SqliteDatabase& db, Mode mode) {
  Status begun = db.Exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!begun.ok()) return begun;
  return SqliteTransaction(&db);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

SqliteTransaction::~SqliteTransaction() {
  // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled the transaction back.
  if (db_ != nullptr && db_->InTransaction()) (void)db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  if (db_ == nullptr) return Status::Internal("committing a finished transaction");
  Status committed = db_->Exec("COMMIT");
  if (!committed.ok()) return committed;  // the destructor rolls back what is left
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace jlrec
