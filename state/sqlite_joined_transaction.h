// A transaction that joins the caller's when one is open: what lets the table functions
// (snapshot cache, drift history, release records) run on their own, each in its own
// transaction, and also as parts of a larger one (ImportState writes a whole dump in one,
// ExportState reads it in one) without a second copy of their SQL.
#pragma once

#include <optional>
#include <utility>

#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// A transaction of its own when `db` has none open, else a part of the open one: Commit()
/// then does nothing, and a failure is the outer transaction's to roll back (its owner
/// returns the error). Move-only.
class JoinedTransaction {
 public:
  /// Begins a transaction on `db` in `mode` unless one is open (an open read transaction
  /// joined by a writer fails at its first write, as SQLite says).
  static Result<JoinedTransaction> Begin(SqliteDatabase& db, SqliteTransaction::Mode mode) {
    if (db.InTransaction()) return JoinedTransaction(std::nullopt);
    Result<SqliteTransaction> own = SqliteTransaction::Begin(db, mode);
    if (!own.ok()) return own.status();
    return JoinedTransaction(std::move(*own));
  }

  /// Commits its own transaction; ok at once when it joined another.
  Status Commit() { return own_ ? own_->Commit() : Status::Ok(); }

 private:
  explicit JoinedTransaction(std::optional<SqliteTransaction> own) : own_(std::move(own)) {}
  std::optional<SqliteTransaction> own_;
};

}  // namespace jlrec
