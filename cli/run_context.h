// What the subcommands that touch hosts share: common flags, logging, the state store,
// refresh + cache. Kept here so each cmd_*.cpp is only about its own command.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "engine/reconciler.h"
#include "engine/refresh.h"
#include "engine/scoped_lock.h"
#include "model/desired_state.h"
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
  /// Set by a command, not a flag: info lines on stderr too (serve, whose log is its output:
  /// one line per request and per check).
  bool info_on_stderr = false;
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
/// message printed; under CollectOptions: 0 at once, nothing parsed), nullopt to go on.
std::optional<int> ParseCommandLine(const std::string& command, const std::string& usage,
                                    const po::options_description& desc,
                                    const std::string& positional,
                                    const std::vector<std::string>& args, po::variables_map& vm);

/// A command's command line as `jlrec completion` learns it, without running the command.
struct OptionCatalogue {
  /// Its options, --help included. Only their names, arity and help are to be read: their
  /// values are bound to the command's locals, gone once it returned.
  std::vector<boost::shared_ptr<po::option_description>> options;
  std::string positional;  ///< the name of its positional list ("" = none)
  std::string usage;       ///< its usage line, after `jlrec COMMAND`
};

/// Runs `command` in catalogue mode: its ParseCommandLine records the command line it
/// accepts and returns 0 without parsing, so the command returns before doing anything.
/// Every command keeps that contract: it calls ParseCommandLine before any side effect (no
/// output, log, file, state or host touched before it). nullopt when `command` returned
/// without calling it (a command breaking the contract; a test runs every command so).
std::optional<OptionCatalogue> CollectOptions(CommandFn command);

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

/// The pipeline for `desired` on `store`: SSH + Docker providers with the flags' connection
/// settings, and the registry logins of the manifest and the operator's Docker config.
std::unique_ptr<Reconciler> MakeReconciler(const CommonFlags& flags, const DesiredState& desired,
                                           StateStore& store);

/// The groups named on the command line, or every group with --all; error when neither.
std::optional<std::vector<std::string>> SelectGroups(const po::variables_map& vm,
                                                     const DesiredState& desired,
                                                     bool default_all = false);

/// This process as locks and the journal name it: "user@machine", pid, machine.
LockOwner ThisProcess();

}  // namespace jlrec::cli
