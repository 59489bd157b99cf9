// Tests on the lab's PostgreSQL server (issue 19): a fresh database for one test, and what a
// test does as the server's superuser (read or change rows behind a store's back, end a
// store's session as a server restart would).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/status.h"

namespace jlrec::testing {

/// The rows of an admin query, each a list of column texts ("" for NULL).
using AdminRows = std::vector<std::vector<std::string>>;

/// One superuser session on the lab's server (ReadLabEnv().postgres_admin, over the lab's
/// own socket), kept open until destroyed: a test may hold a transaction, and so its locks,
/// across calls. Fails the current test with "start the lab: bash tests/lab/lab.sh up" when
/// the server cannot be reached.
class PostgresAdminSession {
 public:
  /// Connects to `database` ("" = the admin conninfo's own database).
  explicit PostgresAdminSession(const std::string& database = "");
  ~PostgresAdminSession();
  PostgresAdminSession(PostgresAdminSession&& other) noexcept;
  PostgresAdminSession& operator=(PostgresAdminSession&&) = delete;
  PostgresAdminSession(const PostgresAdminSession&) = delete;
  PostgresAdminSession& operator=(const PostgresAdminSession&) = delete;

  /// Runs `sql` (one or more statements). The server's message on failure.
  Status Exec(const std::string& sql);
  /// Runs one statement and returns its rows as text.
  Result<AdminRows> Query(const std::string& sql);
  /// The server's process id of this session.
  int BackendPid() const;

 private:
  void* conn_ = nullptr;  // PGconn*, kept out of this header so tests need not see libpq
};

/// Runs `sql` as the lab's superuser in `database` ("" = the admin database), on a session
/// of its own closed afterwards.
Status AdminExec(const std::string& sql, const std::string& database = "");

/// Ends the server session of process `backend_pid` (pg_terminate_backend) and waits, up to
/// 10 s, until it is gone: what a client sees when its server restarts. kNotFound when no
/// such session existed.
Status TerminateBackend(int backend_pid);

/// The backend pids of the sessions connected to `database` that are not the caller's.
Result<std::vector<int>> SessionsOf(const std::string& database);

/// `url` (a libpq URI) with its database name replaced by `database`, its parameters kept.
std::string WithDatabase(const std::string& url, const std::string& database);

/// An empty database on the lab's PostgreSQL server for one test, owned by role jlrec: leased
/// from a pool of databases reused across tests (made once, emptied at each lease: its other
/// sessions ended, jlrec's schema dropped), this test's alone until destroyed. Sets
/// PGPASSFILE for this process to the lab's .pgpass, so that jlrec's stores connect as the
/// role jlrec as an operator's would. Fails the current test with "start the lab: bash
/// tests/lab/lab.sh up" when the lab or its server is not up.
class ScratchPostgresDatabase {
 public:
  ScratchPostgresDatabase();
  ~ScratchPostgresDatabase();
  ScratchPostgresDatabase(const ScratchPostgresDatabase&) = delete;
  ScratchPostgresDatabase& operator=(const ScratchPostgresDatabase&) = delete;

  /// The database's name (this test's alone while the object lives).
  const std::string& name() const { return name_; }
  /// Its URL as role jlrec, without a password: what `--state` takes.
  const std::string& url() const { return url_; }
  /// Runs `sql` in this database as the superuser, with jlrec's schema first on the search
  /// path (so `UPDATE hosts ...` reaches the store's table).
  Status AdminExec(const std::string& sql) const;
  /// AdminExec for a query: its rows as text.
  Result<AdminRows> AdminQuery(const std::string& sql) const;

 private:
  std::unique_ptr<PostgresAdminSession> lease_;  // holds the pool lease (an advisory lock)
  std::string name_;
  std::string url_;
};

}  // namespace jlrec::testing
