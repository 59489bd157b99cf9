// A throwaway jlrec project on the lab: its own manifest, template and state in a temp
// folder (or a scratch database on the lab's PostgreSQL), its own project label, and cleanup
// of every container it made on every host.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/lab_env.h"
#include "support/subprocess.h"

namespace jlrec::testing {

/// One unit of the generated manifest.
struct LabUnit {
  int host = 1;                      ///< lab host number
  std::vector<std::string> dockers;  ///< container names
  std::vector<std::string> groups = {"product"};
  bool core = false;
  std::string extra;  ///< extra YAML lines for the unit (indented by the caller)
};

/// Where a LabProject's state lives.
enum class LabStateBackend {
  kSqlite,    ///< jlrec's default: an SQLite file beside the manifest
  kPostgres,  ///< a scratch database of its own on the lab's PostgreSQL server
};

/// The backend lab tests run on unless they choose: $JLREC_LAB_STATE_BACKEND, "sqlite" (also
/// when unset or empty) or "postgresql", so that ctest runs a chosen set of lab tests on both
/// (tests/CMakeLists.txt). Throws std::runtime_error naming any other value.
LabStateBackend LabStateBackendFromEnv();

/// A project whose manifest is generated into a temp dir. Containers are named
/// "<prefix>_<name>" to stay apart from other tests; the project label is the prefix.
/// On PostgreSQL every jlrec run gets JLREC_STATE (the scratch database's URL, which holds no
/// password) and PGPASSFILE (the lab's .pgpass of role jlrec).
class LabProject {
 public:
  /// Creates the temp dir, removes leftovers of an earlier crashed run of the same prefix. On
  /// PostgreSQL also (re)creates the scratch database "jlrec_lab_<prefix>" owned by role jlrec
  /// (dropped first if a crashed run left it); throws when the lab has no PostgreSQL.
  explicit LabProject(const std::string& prefix,
                      LabStateBackend backend = LabStateBackendFromEnv());
  /// Removes every container of the project on every lab host, the temp dir and the scratch
  /// database. A checkout (Checkout()) removes only its temp dir.
  ~LabProject();
  LabProject(const LabProject&) = delete;
  LabProject& operator=(const LabProject&) = delete;

  /// A second checkout of this project, as a teammate has it: another temp dir holding a copy
  /// of the manifest and template written so far, the same project and the same database. With
  /// `copy_state_key` it also gets a copy of this checkout's state key file (if there is one
  /// yet; CopyStateKeyFrom copies it later): a checkout without the team's key is refused by
  /// jlrec. It removes no container and drops no database: this project owns them. Only
  /// PostgreSQL shares a state between checkouts (REQUIRE'd).
  std::unique_ptr<LabProject> Checkout(bool copy_state_key = true) const;
  /// Copies `origin`'s state key file to this checkout's (mode 600); false when `origin` has
  /// none yet.
  bool CopyStateKeyFrom(const LabProject& origin) const;

  /// Writes the manifest with `units`, groups product (dev_new) and test (test).
  void Write(const std::vector<LabUnit>& units, const std::string& image = "",
             const std::string& runtime_mode_product = "dev_new",
             const std::string& extra_defaults = "");
  /// Runs `jlrec <args> -m <manifest>` (with StateEnv() and `env` added to its environment;
  /// `env` wins) and returns its result.
  ProcessResult Jlrec(std::vector<std::string> args, const std::string& input = "",
                      const std::map<std::string, std::string>& env = {}) const;
  /// Starts `jlrec <args> -m <manifest>` in the background as StartJlrec does (own process
  /// group, output to the file `output` when given), with StateEnv() and `env`. Returns its
  /// pid (the caller reaps it).
  int Start(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
            const std::string& output = "") const;
  /// What every jlrec run of this project gets in its environment: JLREC_STATE and PGPASSFILE
  /// on PostgreSQL, nothing on SQLite.
  std::map<std::string, std::string> StateEnv() const;
  /// Whether the state is on PostgreSQL.
  bool postgres() const { return backend_ == LabStateBackend::kPostgres; }
  /// The state jlrec uses: the scratch database's URL, or the default SQLite file's path.
  std::string state() const;
  /// The state key file jlrec uses by default in this checkout (state/state_key.h).
  std::string state_key_path() const;
  /// The scratch database's name ("" on SQLite).
  const std::string& database() const { return database_; }
  /// Runs `sql` with psql as the lab's superuser (over its socket) on `database` (default: the
  /// project's), stopping at the first error: to look inside the state, or to act on the
  /// server (end sessions). The result as psql left it (-A -t: bare rows).
  ProcessResult AdminSql(const std::string& sql, const std::string& database = "") const;
  /// The container's full name for short name `name`.
  std::string Name(const std::string& name) const { return prefix_ + "_" + name; }
  /// `docker inspect -f FORMAT` of a container on lab host `host` ("" if absent).
  std::string Inspect(int host, const std::string& name, const std::string& format) const;
  /// The /run.sh in a container ("" if absent).
  std::string RunScript(int host, const std::string& name) const;
  /// The project's label value.
  const std::string& project() const { return prefix_; }
  /// Path of the manifest.
  std::string manifest() const { return dir_ + "/jlrec.yaml"; }
  /// The temp dir.
  const std::string& dir() const { return dir_; }
  /// Removes the project's containers on every lab host.
  void RemoveContainers() const;
  /// The lab.
  const LabEnv& lab() const { return lab_; }

 private:
  struct CheckoutOf {};
  LabProject(const LabProject& origin, CheckoutOf);

  std::string prefix_;
  std::string dir_;
  LabEnv lab_;
  LabStateBackend backend_ = LabStateBackend::kSqlite;
  std::string database_;
  bool owner_ = true;  ///< removes the containers and drops the database (not a checkout)
};

}  // namespace jlrec::testing
