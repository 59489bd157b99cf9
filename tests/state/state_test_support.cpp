#include "state/state_test_support.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "state/open_state_store.h"
#include "state/sqlite_db.h"
#include "state/sqlite_state_store.h"
#include "support/lab_env.h"
#include "support/subprocess.h"

namespace jlrec::test {

std::unique_ptr<StateStore> OpenStoreOrFail(const std::string& path) {
  Result<std::unique_ptr<StateStore>> store = OpenSqliteStateStore(path);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

const char* BackendName(StateBackend backend) {
  return backend == StateBackend::kSqlite ? "SQLite" : "PostgreSQL";
}

ScratchState::ScratchState(StateBackend backend) : backend_(backend) {
  if (backend == StateBackend::kSqlite) {
    dir_ = std::make_unique<TempDir>();
    location_ = dir_->File("state.db");
  } else {
    postgres_ = std::make_unique<testing::ScratchPostgresDatabase>();
    location_ = postgres_->url();
  }
}

ScratchState::~ScratchState() = default;

std::string ScratchState::Name() const { return std::string(BackendName(backend_)) + " state"; }

std::unique_ptr<StateStore> ScratchState::Open() const {
  Result<StateLocation> where = ParseStateLocation(location_);
  INFO(where.status().ToString());
  REQUIRE(where.ok());
  REQUIRE(where->is_postgres() == (backend_ == StateBackend::kPostgres));
  Result<std::unique_ptr<StateStore>> store = OpenStateStore(*where);
  INFO(Name() << " " << location_ << ": " << store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

Status ScratchState::ExecSql(const std::string& sql) const {
  if (postgres_) return postgres_->AdminExec(sql);
  Result<SqliteDatabase> db = SqliteDatabase::Open(location_);
  if (!db.ok()) return db.status();
  return db->Exec(sql);
}

Result<std::string> ScratchState::QueryText(const std::string& sql) const {
  if (postgres_) {
    Result<testing::AdminRows> rows = postgres_->AdminQuery(sql);
    if (!rows.ok()) return rows.status();
    if (rows->empty() || rows->front().empty()) return Status::NotFound("no row: " + sql);
    return rows->front().front();
  }
  Result<SqliteDatabase> db = SqliteDatabase::Open(location_);
  if (!db.ok()) return db.status();
  Result<SqliteStatement> stmt = db->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no row: " + sql);
  return stmt->ColumnText(0);
}

std::string ScratchState::BlobLiteral(const std::string& hex) const {
  return postgres_ ? "'\\x" + hex + "'::bytea" : "X'" + hex + "'";
}

std::string ScratchState::EverythingStored() const {
  if (postgres_) {
    // The superuser's conninfo with this database: a later dbname overrides the first.
    const std::string conninfo =
        testing::ReadLabEnv().postgres_admin + " dbname=" + postgres_->name();
    testing::ProcessResult dump = testing::RunProcess({"pg_dump", "--no-password", "-d", conninfo});
    INFO(dump.err);
    REQUIRE(dump.exit_code == 0);
    return dump.out;
  }
  std::string bytes;
  for (const std::string& file : {location_, location_ + "-wal"}) {
    std::ifstream in(file, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

LiveContainer SampleContainer(const std::string& name, int variant) {
  const std::string v = std::to_string(variant);
  LiveContainer c;
  c.id = "0123456789abcdef" + v + name;
  c.name = name;
  c.image_id = "sha256:5e1f" + v;
  c.spec.image = "127.0.0.1:5000/jlrec-lab/base:" + v;
  c.spec.command = {"/bin/sh", "-c", "exec /run.sh " + name + " \"quoted arg\" " + v};
  c.spec.network_mode = variant % 2 == 0 ? "host" : "none";
  c.spec.volumes = {"/data/" + name + ":/data:rw", "/etc/localtime:/etc/localtime:ro" + v};
  c.spec.restart = variant % 2 == 0 ? "unless-stopped" : "on-failure";
  c.spec.ports = {"127.0.0.1:80" + v + ":80/tcp"};
  c.spec.labels = {{"team", "platform" + v}, {"описание", "unicode ✓ " + v}};
  if (variant % 3 != 1) {
    Healthcheck& h = c.spec.healthcheck.emplace();
    h.command = {"/bin/sh", "-c", "curl -fs \"http://127.0.0.1:80" + v + "/health\""};
    h.timeout = std::chrono::milliseconds(3000 + variant);
    h.interval = std::chrono::milliseconds(500 + variant);
    h.retries = 3 + variant;
  }
  c.jlrec_labels = {
      {"jlrec.project", "demo"},        {"jlrec.groups", "product,test" + v},
      {"jlrec.unit", "h1/" + name},     {"jlrec.core", variant % 2 == 0 ? "true" : "false"},
      {"jlrec.spec-digest", "abc" + v}, {"jlrec.version", "0.1." + v}};
  c.state = variant % 2 == 0 ? "running" : "exited";
  c.health = variant % 2 == 0 ? "healthy" : "";
  c.restart_count = 2 + variant;
  c.exit_code = variant % 2 == 0 ? 0 : 128 + variant;
  c.created = "2024-05-0" + std::to_string(1 + variant % 9) + "T10:00:00.123456789Z";
  c.started_at = variant % 2 == 0 ? "2024-05-01T10:00:01Z" : "";
  if (variant % 3 != 2) c.script_digest = "d1635" + v + name;
  if (variant % 3 == 0) c.script_stat = "1030:493:2026-11-26T12:24:51Z";
  return c;
}

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  return hex;
}

HostSnapshot ReachableSnapshot(const std::string& host, std::int64_t observed_at,
                               std::vector<LiveContainer> containers) {
  HostSnapshot snapshot;
  snapshot.host = host;
  snapshot.reachable = true;
  snapshot.observed_at = observed_at;
  snapshot.containers = std::move(containers);
  return snapshot;
}

}  // namespace jlrec::test
