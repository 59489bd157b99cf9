// What the subcommands that touch hosts share: common flags, logging, the state store,
// refresh + cache. Kept here so each cmd_*.cpp is only about its own command.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/desired_state.h"
#include "engine/refresh.h"
#include "model/state_store.h"

namespace jlrec::cli {

namespace po = boost::program_options;

/// Flags every host-touching subcommand accepts.
struct CommonFlags {
  std::string manifest;               ///< -m/--manifest ("" = $JLREC_MANIFEST, else ./jlrec.yaml)
  std::string state;                  ///< --state ("" = .jlrec/state.db beside the manifest)
  bool debug = false;                 ///< -v: debug logging
  std::string log_file;               ///< --log-file (rotated)
  bool no_color = false;              ///< --no-color
  std::string known_hosts;            ///< --known-hosts
  std::string ssh_config;             ///< --ssh-config ("" = ~/.ssh/config, /etc/ssh/ssh_config)
  bool accept_new_host_keys = false;  ///< --accept-new-host-keys
  int parallelism = 32;               ///< hosts refreshed at once
  double connect_timeout = 10;        ///< seconds
  double request_timeout = 30;        ///< seconds
  double global_timeout = 0;  ///< seconds for the whole refresh (0 = none); drift's --timeout
};

/// Adds -m, --state, -v, --log-file, --no-color to `desc`.
void AddCommonOptions(po::options_description& desc, CommonFlags& flags);
/// Adds --known-hosts, --ssh-config, --accept-new-host-keys, --connect-timeout,
/// --request-timeout to `desc`; and --parallelism unless `with_parallelism` is false (apply
/// defines its own).
void AddHostOptions(po::options_description& desc, CommonFlags& flags,
                    bool with_parallelism = true);

/// Parses `args` into `vm` (with `positional` as the name of the positional list, or "").
/// Returns an exit code when the command must stop now (--help printed: 0; bad flags: 1,
/// message printed), nullopt to go on.
std::optional<int> ParseCommandLine(const std::string& command, const std::string& usage,
                                    const po::options_description& desc,
                                    const std::string& positional,
                                    const std::vector<std::string>& args, po::variables_map& vm);

/// Sets up spdlog: warnings and up on stderr (debug with -v), and a rotating file sink with
/// --log-file.
void SetupLogging(const CommonFlags& flags);

/// Finds and loads the manifest (printing diagnostics to stderr); nullopt on any error.
std::optional<DesiredState> LoadDesiredState(const CommonFlags& flags);

/// Opens the state store (--state, else beside the manifest); prints the error on failure.
std::unique_ptr<StateStore> OpenStateStore(const CommonFlags& flags, const DesiredState& desired);

/// The state file path: --state, else beside the manifest at `manifest_path`.
std::string StatePathFor(const CommonFlags& flags, const std::string& manifest_path);

/// Opens the state store at `path`; prints the error on failure.
std::unique_ptr<StateStore> OpenStateStoreAt(const std::string& path);

/// Refresh settings from the flags.
RefreshOptions MakeRefreshOptions(const CommonFlags& flags);

/// The /run.sh stat keys and digests the state cache holds for `hosts` (empty, with a debug
/// line, when the cache cannot be read).
KnownScripts KnownScriptsFromCache(StateStore& store, const std::string& project,
                                   const std::vector<std::string>& hosts);

/// Refreshes `hosts` and records every snapshot in `store` (one transaction). Logs per host.
/// Scripts unchanged since the cached refresh are stat'ed, not read (KnownScripts).
RefreshOutcome RefreshAndCache(const DesiredState& desired, const std::vector<std::string>& hosts,
                               const RefreshOptions& options, StateStore& store);

/// The groups named on the command line, or every group with --all; error when neither.
std::optional<std::vector<std::string>> SelectGroups(const po::variables_map& vm,
                                                     const DesiredState& desired,
                                                     bool default_all = false);

/// "user@machine" of this process, for locks and the journal.
std::string ProcessOwner();

/// A lock in the state store, held by this process until Release() or destruction (apply and
/// drift each take one per project). The store must outlive it: keep it declared after the
/// store it locks (as PlanRun does). Taking over a dead holder's lock is logged.
class ScopedLock {
 public:
  ScopedLock() = default;
  ScopedLock(ScopedLock&& other) noexcept;
  ScopedLock& operator=(ScopedLock&& other) noexcept;
  ScopedLock(const ScopedLock&) = delete;
  ScopedLock& operator=(const ScopedLock&) = delete;
  ~ScopedLock() { Release(); }
  /// Takes lock `name` in `store`, waiting up to `timeout_s` seconds; kConflict naming the
  /// holder when it stays held.
  Status Acquire(StateStore& store, const std::string& name, double timeout_s);
  /// Releases the lock if held; idempotent.
  void Release();

 private:
  StateStore* store_ = nullptr;  // null when not held
  LockInfo info_;
};

}  // namespace jlrec::cli
