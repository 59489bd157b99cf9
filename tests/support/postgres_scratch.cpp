#include "support/postgres_scratch.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "support/lab_env.h"

namespace jlrec::testing {

namespace {

constexpr const char* kStartTheLab = "start the lab: bash tests/lab/lab.sh up";

PGconn* Conn(void* conn) { return static_cast<PGconn*>(conn); }

// The lab's admin conninfo; fails the test when the lab has no PostgreSQL server.
std::string AdminConninfo() {
  LabEnv env;
  try {
    env = ReadLabEnv();
  } catch (const std::exception& e) {
    FAIL("the lab's PostgreSQL server is needed: " << e.what() << " (" << kStartTheLab << ")");
  }
  if (env.postgres_admin.empty() || env.postgres_url.empty())
    FAIL("the lab (" << env.dir << "/lab.env) has no PostgreSQL server: " << kStartTheLab);
  return env.postgres_admin;
}

// A superuser session on `database` ("" = the conninfo's own), or the reason it failed.
PGconn* ConnectAdmin(const std::string& database, std::string& error) {
  const std::string conninfo = AdminConninfo();
  // Only the first dbname is expanded as a conninfo; a second one is a plain database name.
  const char* keys[] = {"dbname", database.empty() ? nullptr : "dbname", nullptr};
  const char* values[] = {conninfo.c_str(), database.empty() ? nullptr : database.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn != nullptr && PQstatus(conn) == CONNECTION_OK) {
    // Notices ("drop cascades to table ...") are not the test's output.
    PQclear(PQexec(conn, "SET client_min_messages TO warning"));
    return conn;
  }
  error = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!error.empty() && error.back() == '\n') error.pop_back();
  PQfinish(conn);
  return nullptr;
}

Status ErrorOf(PGconn* conn, PGresult* result, const std::string& sql) {
  std::string message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return Status::IoError("admin statement `" + sql + "`: " + message);
}

}  // namespace

PostgresAdminSession::PostgresAdminSession(const std::string& database) {
  std::string error;
  conn_ = ConnectAdmin(database, error);
  if (conn_ == nullptr)
    FAIL("cannot reach the lab's PostgreSQL server as its superuser: " << error << " ("
                                                                       << kStartTheLab << ")");
}

PostgresAdminSession::~PostgresAdminSession() { PQfinish(Conn(conn_)); }

PostgresAdminSession::PostgresAdminSession(PostgresAdminSession&& other) noexcept
    : conn_(other.conn_) {
  other.conn_ = nullptr;
}

Status PostgresAdminSession::Exec(const std::string& sql) {
  PGresult* result = PQexec(Conn(conn_), sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  Status s = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK
                 ? Status::Ok()
                 : ErrorOf(Conn(conn_), result, sql);
  PQclear(result);
  return s;
}

Result<AdminRows> PostgresAdminSession::Query(const std::string& sql) {
  PGresult* result = PQexec(Conn(conn_), sql.c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    Status s = ErrorOf(Conn(conn_), result, sql);
    PQclear(result);
    return s;
  }
  AdminRows rows;
  for (int r = 0; r < PQntuples(result); ++r) {
    std::vector<std::string>& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(result); ++c)
      row.emplace_back(PQgetvalue(result, r, c), PQgetlength(result, r, c));
  }
  PQclear(result);
  return rows;
}

int PostgresAdminSession::BackendPid() const { return PQbackendPID(Conn(conn_)); }

Status AdminExec(const std::string& sql, const std::string& database) {
  PostgresAdminSession session(database);
  return session.Exec(sql);
}

Status TerminateBackend(int backend_pid) {
  PostgresAdminSession session;
  const std::string pid = std::to_string(backend_pid);
  Result<AdminRows> ended = session.Query("SELECT pg_terminate_backend(" + pid + ")");
  if (!ended.ok()) return ended.status();
  if (ended->at(0).at(0) != "t") return Status::NotFound("no server session of pid " + pid);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    Result<AdminRows> left =
        session.Query("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid);
    if (!left.ok()) return left.status();
    if (left->at(0).at(0) == "0") return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Timeout("the server session of pid " + pid + " still exists after 10 s");
}

Result<std::vector<int>> SessionsOf(const std::string& database) {
  PostgresAdminSession session;
  // The name is one this file made, or a test's own literal: quoted as an SQL string anyway.
  std::string quoted = "'";
  for (char c : database) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  quoted += "'";
  Result<AdminRows> rows =
      session.Query("SELECT pid FROM pg_stat_activity WHERE datname = " + quoted +
                    " AND pid <> pg_backend_pid() ORDER BY pid");
  if (!rows.ok()) return rows.status();
  std::vector<int> pids;
  for (const auto& row : *rows) pids.push_back(std::stoi(row.at(0)));
  return pids;
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  // postgresql://user@host:port/db?params: the path starts at the first '/' after "//".
  const std::size_t scheme = url.find("://");
  const std::size_t authority = scheme == std::string::npos ? 0 : scheme + 3;
  const std::size_t query = url.find('?', authority);
  const std::size_t end = query == std::string::npos ? url.size() : query;
  std::size_t path = url.find('/', authority);
  if (path == std::string::npos || path > end) path = end;
  return url.substr(0, path) + "/" + database + url.substr(end);
}

// Databases are leased from a pool ("jlrec_pool_<n>") rather than made per test: CREATE
// DATABASE costs the lab's server a second or more (it copies and syncs a template), and every
// PostgreSQL case of the suite runs in a process of its own. A lease is a session-level
// advisory lock held by this object's own admin session, so two test processes (ctest -j)
// never share a database, and a killed test's lease ends with its session. A leased database
// is emptied first: its other sessions ended and jlrec's schema dropped.
ScratchPostgresDatabase::ScratchPostgresDatabase()
    : lease_(std::make_unique<PostgresAdminSession>()) {
  const LabEnv env = ReadLabEnv();
  constexpr int kPoolKey = 0x6a6c7263;  // "jlrc": the pool's advisory lock class
  for (int n = 0; name_.empty(); ++n) {
    REQUIRE(n < 64);
    Result<AdminRows> got = lease_->Query(
        "SELECT pg_try_advisory_lock(" + std::to_string(kPoolKey) + ", " + std::to_string(n) + ")");
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    if (got->at(0).at(0) == "t") name_ = "jlrec_pool_" + std::to_string(n);
  }
  Result<AdminRows> exists =
      lease_->Query("SELECT count(*) FROM pg_database WHERE datname = '" + name_ + "'");
  INFO(exists.status().ToString());
  REQUIRE(exists.ok());
  Status ready = Status::Ok();
  if (exists->at(0).at(0) == "0") {
    ready = lease_->Exec("CREATE DATABASE " + name_ + " OWNER jlrec");
  } else {
    ready = lease_->Exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name_ + "'");
    if (ready.ok()) ready = testing::AdminExec("DROP SCHEMA IF EXISTS jlrec CASCADE", name_);
  }
  INFO(ready.ToString());
  REQUIRE(ready.ok());
  url_ = WithDatabase(env.postgres_url, name_);
  // The stores this test opens read the role's password as any libpq program does.
  ::setenv("PGPASSFILE", env.postgres_passfile.c_str(), 1);
}

ScratchPostgresDatabase::~ScratchPostgresDatabase() = default;  // the lease ends with its session

Status ScratchPostgresDatabase::AdminExec(const std::string& sql) const {
  PostgresAdminSession session(name_);
  Status s = session.Exec("SET search_path = jlrec, public");
  return s.ok() ? session.Exec(sql) : s;
}

Result<AdminRows> ScratchPostgresDatabase::AdminQuery(const std::string& sql) const {
  PostgresAdminSession session(name_);
  Status s = session.Exec("SET search_path = jlrec, public");
  if (!s.ok()) return s;
  return session.Query(sql);
}

}  // namespace jlrec::testing
