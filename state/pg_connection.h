// A thin RAII layer over libpq that turns every failure into a Status carrying the server's
// own message and naming the state URL (never a password: the URL holds none). Internal to
// state/: nothing outside state/ includes it.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"

namespace jlrec {

/// The parameters of one statement ($1, $2, ...), sent apart from the SQL text so that no
/// value is ever parsed as SQL. Text values are sent byte-exact; Bytes as binary (bytea).
class PgParams {
 public:
  /// Appends text `value`, byte-exact when it is valid UTF-8 without NUL (the session's
  /// client_encoding is UTF8); every other byte is sent as U+FFFD, as PostgreSQL text
  /// cannot hold it.
  PgParams& Text(std::string_view value);
  /// Appends integer `value`.
  PgParams& Int(std::int64_t value);
  /// Appends `value` as true/false.
  PgParams& Bool(bool value);
  /// Appends `value` (any bytes) in binary format, for a bytea parameter.
  PgParams& Bytes(std::string_view value);
  /// Appends SQL NULL.
  PgParams& Null();

  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class PgConnection;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;  // 0 text, 1 binary
};

/// The rows of one statement (text format). Move-only; freed on destruction.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

  /// Number of rows.
  int rows() const { return result_ ? PQntuples(result_.get()) : 0; }
  /// True when column `col` of row `row` is NULL.
  bool IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  /// The text of column `col` of row `row`, byte-exact ("" for NULL).
  std::string Text(int row, int col) const;
  /// Column `col` of row `row` as an integer (NULL reads as 0).
  std::int64_t Int(int row, int col) const;
  /// Column `col` of row `row` as a boolean ('t').
  bool Bool(int row, int col) const;
  /// A bytea column's bytes (decoded from its text form); kIoError when it does not decode.
  Result<std::string> Bytes(int row, int col) const;
  /// Rows an INSERT/UPDATE/DELETE touched.
  std::int64_t Affected() const;
  /// The libpq result, for PgConnection's status checks.
  const PGresult* raw_for_status() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_{nullptr, &PQclear};
};

/// One session with the server. Used by one thread at a time. Move-only; closed on
/// destruction (the server then releases every advisory lock the session held).
class PgConnection {
 public:
  /// Connects to `url` (libpq URI, no password in it). `application_name` shows in
  /// pg_stat_activity. The session's search_path is set to the jlrec schema (created if
  /// missing), so jlrec's tables never mix with others in a shared database.
  /// kUnavailable naming the URL when the server cannot be reached or refuses the login.
  static Result<PgConnection> Open(const std::string& url, const std::string& application_name);

  PgConnection(PgConnection&&) noexcept = default;
  PgConnection& operator=(PgConnection&&) noexcept = default;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection() = default;

  /// Runs `sql` (one or more statements; no parameters, no rows wanted).
  Status Exec(const std::string& sql);
  /// Runs one statement with `params` and returns its rows.
  Result<PgResult> Query(const std::string& sql, const PgParams& params = PgParams());
  /// Query for a statement whose rows are not wanted.
  Status Run(const std::string& sql, const PgParams& params = PgParams());

  /// When the session was lost (the server restarted, the network dropped) and no
  /// transaction is open, connects again, so a long-lived process (jlrec serve) recovers.
  /// kUnavailable when it still cannot.
  Status EnsureConnected();
  /// True while a transaction block is open on the session.
  bool InTransaction() const;
  /// The server's process id for this session (pg_backend_pid()).
  int BackendPid() const { return PQbackendPID(conn_.get()); }
  /// The URL the session was opened with (for messages).
  const std::string& url() const { return url_; }
  /// The libpq connection, for PgTransaction's status check.
  PGconn* handle_for_status() const { return conn_.get(); }

 private:
  PgConnection(PGconn* conn, std::string url) : conn_(conn, &PQfinish), url_(std::move(url)) {}
  Status ErrorOf(const PGresult* result, std::string_view sql) const;
  Status Prepare();

  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_{nullptr, &PQfinish};
  std::string url_;
};

/// An open transaction (READ COMMITTED unless said); rolled back on destruction unless
/// committed. Move-only.
class PgTransaction {
 public:
  enum class Isolation { kReadCommitted, kRepeatableRead };
  /// Begins a transaction on `conn`; `conn` must outlive it.
  static Result<PgTransaction> Begin(PgConnection& conn,
                                     Isolation isolation = Isolation::kReadCommitted);

  PgTransaction(PgTransaction&& other) noexcept;
  PgTransaction& operator=(PgTransaction&&) = delete;
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  ~PgTransaction();

  /// Commits; afterwards the destructor does nothing.
  Status Commit();

 private:
  explicit PgTransaction(PgConnection* conn) : conn_(conn) {}
  PgConnection* conn_ = nullptr;  // null once committed, rolled back or moved from
};

}  // namespace jlrec
