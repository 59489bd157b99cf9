// What the subcommands that touch hosts share: common flags, logging, the state store,
// refresh + cache. Kept here so each cmd_*.cpp is only about its own command.
#pragma once

#include <spdlog/common.h>

#include <boost/program_options.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/state_choice.h"
#include "engine/reconciler.h"
#include "engine/refresh.h"
#include "engine/scoped_lock.h"
#include "model/desired_state.h"
#include "model/state_store.h"
#include "model/status.h"

namespace jlrec::cli {

namespace po = boost::program_options;

/// Flags every host-touching subcommand accepts.
struct CommonFlags {
  std::string manifest;     ///< -m/--manifest ("" = $JLREC_MANIFEST, else ./jlrec.yaml)
  std::string state;        ///< --state ("" = $JLREC_STATE, the manifest's state:, .jlrec/state.db)
  std::string state_key;    ///< --state-key ("" = $JLREC_STATE_KEY, else beside the state)
  bool debug = false;       ///< -v: debug logging (= --log-level debug)
  std::string log_level;    ///< --log-level ("" = -v, else $JLREC_LOG, else warn)
  std::string log_file;     ///< --log-file ("" = $JLREC_LOG_FILE; rotated)
  bool no_color = false;    ///< --no-color
  std::string known_hosts;  ///< --known-hosts
  std::string ssh_config;   ///< --ssh-config ("" = ~/.ssh/config, /etc/ssh/ssh_config)
  bool accept_new_host_keys = false;  ///< --accept-new-host-keys
  int parallelism = 32;               ///< hosts refreshed at once
  double connect_timeout = 10;        ///< seconds
  double request_timeout = 30;        ///< seconds
  double global_timeout = 0;  ///< seconds for the whole refresh (0 = none); drift's --timeout
  /// Set by a command, not a flag: info lines on stderr too (serve, whose log is its output:
  /// one line per request and per check).
  bool info_on_stderr = false;
};

/// Adds -m, --state, --state-key and the logging options (AddLoggingOptions) to `desc`.
void AddCommonOptions(po::options_description& desc, CommonFlags& flags);
/// Adds -v, --log-level, --log-file, --no-color to `desc`.
void AddLoggingOptions(po::options_description& desc, CommonFlags& flags);
/// Adds --known-hosts, --ssh-config, --accept-new-host-keys, --connect-timeout,
/// --request-timeout to `desc`; and --parallelism unless `with_parallelism` is false (apply
/// defines its own).
void AddHostOptions(po::options_description& desc, CommonFlags& flags,
                    bool with_parallelism = true);

/// Parses `args` into `vm` (with `positional` as the name of the positional list, or "").
/// Returns an exit code when the command must stop now (--help printed: 0; bad flags, an
/// invalid --log-level or $JLREC_LOG: 1, message printed, an unknown option with the nearest
/// one as a suggestion; under CollectOptions: 0 at once, nothing parsed), nullopt to go on.
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

/// "did you mean '--json'?" for an option typed as `typed` ("--jsn", "-json", "--jsn=1")
/// that `desc` does not know: the nearest of its long options (never `positional`, the
/// name behind the positional arguments), or "" when none is close.
std::string SuggestOption(const std::string& typed, const po::options_description& desc,
                          const std::string& positional = "");

/// The log level names, most verbose first, as an error message lists them.
inline constexpr const char* kLogLevelNames = "trace, debug, info, warn, error";

/// The log level the operator chose: `flag` (--log-level) when given, else debug with `debug`
/// (-v), else $JLREC_LOG (as Terraform's TF_LOG); nullopt when none chose one. Level names
/// are case-insensitive. kInvalidArgument naming the levels for an unknown name in the flag
/// or in $JLREC_LOG (even when a flag wins over it: a typo there is never ignored).
Result<std::optional<spdlog::level::level_enum>> ChosenLogLevel(const std::string& flag,
                                                                bool debug);

/// ChosenLogLevel's error, if any, for the --log-level and -v in `vm` (of AddLoggingOptions).
Status CheckLogLevel(const po::variables_map& vm);

/// Sets up spdlog: on stderr, the chosen level (ChosenLogLevel), else info for a command
/// with `info_on_stderr`, else warnings and up, coloured per WantColor; with --log-file (or
/// $JLREC_LOG_FILE) also a rotating file that takes info and up (every run's outcome line,
/// cli/run_outcome.h), or the chosen level when it is more verbose.
void SetupLogging(const CommonFlags& flags);

/// Finds and loads the manifest (printing diagnostics to stderr); nullopt on any error.
std::optional<DesiredState> LoadDesiredState(const CommonFlags& flags);

/// The state and key file of a run on the manifest at `manifest_path` (ChooseState with
/// --state and --state-key), the same for every call of one process; prints why and returns
/// nullptr when a value is bad.
const StateChoice* StateFor(const CommonFlags& flags, const std::string& manifest_path);

/// Opens the state store of `desired` (StateFor) and checks that it holds the project's
/// digests under this checkout's key (ClaimStateKey); prints the error on failure.
std::unique_ptr<StateStore> OpenStateStore(const CommonFlags& flags, const DesiredState& desired);

/// Opens the state store at `location`; prints the error on failure. The caller claims the
/// key (ClaimStateKeyOrReport) once the project is known, before anything keyed is written.
std::unique_ptr<StateStore> OpenStateStoreAt(const StateLocation& location);

/// ClaimStateKey for `project` with `state`'s key file; prints the error and returns false
/// when the store refuses the key or cannot be asked.
bool ClaimStateKeyOrReport(StateStore& store, const std::string& project, const StateChoice& state);

/// Refresh settings from the flags.
RefreshOptions MakeRefreshOptions(const CommonFlags& flags);

/// The pipeline for `desired` on `store`: SSH + Docker providers with the flags' connection
/// settings, and the registry logins of the manifest and the operator's Docker config.
/// Without `check_image_digests`, its refreshes do not ask registries whether tags moved
/// (what only a plan needs).
std::unique_ptr<Reconciler> MakeReconciler(const CommonFlags& flags, const DesiredState& desired,
                                           StateStore& store, bool check_image_digests = true);

/// The groups named on the command line, or every group with --all; error when neither.
/// A name that is no group is SelectContainers' to report (with the nearest group).
std::optional<std::vector<std::string>> SelectGroups(const po::variables_map& vm,
                                                     const DesiredState& desired,
                                                     bool default_all = false);

/// What refresh, show and ps read: the manifest, the groups named on the command line (every
/// group without any) and their containers, and the state store.
struct GroupSelection {
  DesiredState desired;
  std::vector<std::string> groups;
  /// Into desired.containers, in manifest order (a move of the whole keeps them valid).
  std::vector<const DesiredContainer*> containers;
  std::vector<std::string> hosts;  ///< the containers' hosts, sorted
  std::unique_ptr<StateStore> store;
};

/// Loads the manifest, selects the groups of `vm` (SelectGroups, every group by default) and
/// their containers (SelectContainers), and opens the state store; prints why and returns
/// nullopt when one of them fails.
std::optional<GroupSelection> SelectFromCommandLine(const CommonFlags& flags,
                                                    const po::variables_map& vm);

/// This process as locks and the journal name it: "user@machine", pid, machine.
LockOwner ThisProcess();

}  // namespace jlrec::cli
