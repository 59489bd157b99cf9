// Helpers shared by the state store tests: a private temporary directory, a fresh state of
// either backend (the contract suite runs each behaviour on both), and sample data.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "model/live_state.h"
#include "model/state_store.h"
#include "support/postgres_scratch.h"

namespace jlrec::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/jlrec-state-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The directory.
  const std::filesystem::path& path() const { return path_; }
  /// `name` inside the directory, as a string.
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Opens the store at `path`, failing the test with the store's message if it cannot.
std::unique_ptr<StateStore> OpenStoreOrFail(const std::string& path);

/// The state backends every contract test runs against.
enum class StateBackend { kSqlite, kPostgres };

/// "SQLite" or "PostgreSQL".
const char* BackendName(StateBackend backend);

/// A fresh, empty state of one backend for one test: an SQLite file in a private directory,
/// or a scratch database on the lab's PostgreSQL server (the test fails, saying to start the
/// lab, when that server is not up). Removed with everything in it on destruction.
class ScratchState {
 public:
  explicit ScratchState(StateBackend backend);
  ~ScratchState();
  ScratchState(const ScratchState&) = delete;
  ScratchState& operator=(const ScratchState&) = delete;

  StateBackend backend() const { return backend_; }
  /// "SQLite state" or "PostgreSQL state", for the messages of a test.
  std::string Name() const;
  /// What `--state` takes for it: the file's path or the database's URL.
  const std::string& location() const { return location_; }
  /// Opens a new store object on it (as another process would), failing the test with the
  /// store's message if it cannot.
  std::unique_ptr<StateStore> Open() const;
  /// Runs `sql` on it behind the stores' back (SQLite: a connection of its own; PostgreSQL:
  /// the superuser, jlrec's schema first on the search path): SQL both backends read alike
  /// reaches the same tables.
  Status ExecSql(const std::string& sql) const;
  /// The first column of the first row of query `sql`, as text (as ExecSql runs it).
  Result<std::string> QueryText(const std::string& sql) const;
  /// An SQL literal of the binary value whose hexadecimal digits are `hex`, in this
  /// backend's syntax.
  std::string BlobLiteral(const std::string& hex) const;
  /// Every byte it keeps: the SQLite file with its WAL, or a dump of the database.
  std::string EverythingStored() const;
  /// The scratch database (null for SQLite).
  const testing::ScratchPostgresDatabase* postgres() const { return postgres_.get(); }

 private:
  StateBackend backend_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<testing::ScratchPostgresDatabase> postgres_;
  std::string location_;
};

}  // namespace jlrec::test

/// The backend of this run of a contract test: the test case runs once on each (Catch's
/// GENERATE), so that both backends are held to the same behaviour.
#define EACH_STATE_BACKEND \
  GENERATE(::jlrec::test::StateBackend::kSqlite, ::jlrec::test::StateBackend::kPostgres)

namespace jlrec::test {

/// A container with every field set to a value derived from `name` and `variant`, so two
/// different arguments give containers that differ in every field. Variants with
/// variant % 3 == 1 have no healthcheck, those with variant % 3 == 2 no /run.sh.
LiveContainer SampleContainer(const std::string& name, int variant = 0);

/// The hexadecimal digits of `bytes` (lower case), as a dump shows a binary value.
std::string Hex(const std::string& bytes);

/// A reachable snapshot of `host` observed at `observed_at` holding `containers`.
HostSnapshot ReachableSnapshot(const std::string& host, std::int64_t observed_at,
                               std::vector<LiveContainer> containers);

}  // namespace jlrec::test
