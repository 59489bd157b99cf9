#include "cli/run_context.h"

#include <pwd.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>
#include <iostream>
#include <utility>

#include "cli/manifest_location.h"
#include "cli/state_key_for_run.h"
#include "cli/terminal_output.h"
#include "providers/registry_auth.h"
#include "providers/ssh_provider.h"
#include "state/sqlite_state_store.h"
#include "state/state_path.h"

namespace jlrec::cli {

void AddCommonOptions(po::options_description& desc, CommonFlags& f) {
  desc.add_options()("manifest,m", po::value(&f.manifest),
                     "manifest file or directory (default: $JLREC_MANIFEST, else ./jlrec.yaml)")(
      "state", po::value(&f.state), "state file (default: .jlrec/state.db beside the manifest)")(
      "debug,v", po::bool_switch(&f.debug), "debug logging")(
      "log-file", po::value(&f.log_file), "also log to this file (rotated at 10 MB, 3 kept)")(
      "no-color", po::bool_switch(&f.no_color), "no ANSI colours");
}

void AddHostOptions(po::options_description& desc, CommonFlags& f, bool with_parallelism) {
  desc.add_options()("known-hosts", po::value(&f.known_hosts),
                     "known_hosts file (default: the manifest's, else ~/.ssh/known_hosts)")(
      "ssh-config", po::value(&f.ssh_config),
      "OpenSSH client config file to read instead of ~/.ssh/config and /etc/ssh/ssh_config "
      "(like ssh -F)")("accept-new-host-keys", po::bool_switch(&f.accept_new_host_keys),
                       "add unknown host keys to known_hosts (never changed ones)")(
      "connect-timeout", po::value(&f.connect_timeout)->default_value(10),
      "seconds for TCP + SSH handshake + auth")("request-timeout",
                                                po::value(&f.request_timeout)->default_value(30),
                                                "seconds for one Docker API request");
  if (with_parallelism)
    desc.add_options()("parallelism", po::value(&f.parallelism)->default_value(32),
                       "hosts contacted at once");
}

namespace {
std::optional<OptionCatalogue>* collecting = nullptr;  // set during CollectOptions only
}  // namespace

std::optional<OptionCatalogue> CollectOptions(CommandFn command) {
  std::optional<OptionCatalogue> catalogue;
  collecting = &catalogue;
  try {
    command({});
  } catch (...) {
    collecting = nullptr;
    throw;
  }
  collecting = nullptr;
  return catalogue;
}

std::optional<int> ParseCommandLine(const std::string& command, const std::string& usage,
                                    const po::options_description& desc,
                                    const std::string& positional,
                                    const std::vector<std::string>& args, po::variables_map& vm) {
  po::options_description all = desc;
  all.add_options()("help,h", "show this help");
  if (collecting) {  // `jlrec completion` asks what the command accepts: it runs nothing
    collecting->emplace(OptionCatalogue{all.options(), positional, usage});
    return 0;
  }
  po::positional_options_description pos;
  if (!positional.empty()) pos.add(positional.c_str(), -1);
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: jlrec " << command << " " << usage << "\n\n" << all << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "jlrec " << command << ": " << e.what() << " (see jlrec " << command
              << " --help)\n";
    return 1;
  }
  return std::nullopt;
}

void SetupLogging(const CommonFlags& f) {
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      f.no_color ? spdlog::color_mode::never : spdlog::color_mode::automatic);
  console->set_level(f.debug            ? spdlog::level::debug
                     : f.info_on_stderr ? spdlog::level::info
                                        : spdlog::level::warn);
  console->set_pattern("%^%l%$: %v");
  // spdlog writes to the C stderr, not through std::cerr's filter: its messages are escaped
  // on their own (a warning can name a lock holder read from the state file).
  sinks.push_back(PrintableSink(console));
  if (!f.log_file.empty()) {
    try {
      auto file =
          std::make_shared<spdlog::sinks::rotating_file_sink_mt>(f.log_file, 10 * 1024 * 1024, 3);
      file->set_level(spdlog::level::debug);
      file->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%P] %l: %v");
      sinks.push_back(PrintableSink(file));  // the log is read on a terminal too
    } catch (const spdlog::spdlog_ex& e) {
      std::cerr << "jlrec: cannot open log file " << f.log_file << ": " << e.what() << "\n";
    }
  }
  auto logger = std::make_shared<spdlog::logger>("jlrec", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::optional<DesiredState> LoadDesiredState(const CommonFlags& f) {
  auto located = LocateManifest(f.manifest);
  if (!located.ok()) {
    std::cerr << "jlrec: " << located.status().message() << "\n";
    return std::nullopt;
  }
  auto key = StateKeyFor(StatePathFor(f, *located));
  if (!key.ok()) {
    std::cerr << "jlrec: " << key.status().message() << "\n";
    return std::nullopt;
  }
  return LoadManifestOrReport(*located, std::cerr, *key);
}

std::string StatePathFor(const CommonFlags& f, const std::string& manifest_path) {
  return f.state.empty() ? DefaultStatePath(manifest_path) : f.state;
}

std::unique_ptr<StateStore> OpenStateStore(const CommonFlags& f, const DesiredState& desired) {
  return OpenStateStoreAt(StatePathFor(f, desired.manifest_path));
}

std::unique_ptr<StateStore> OpenStateStoreAt(const std::string& path) {
  auto store = OpenSqliteStateStore(path);
  if (!store.ok()) {
    std::cerr << "jlrec: state " << path << ": " << store.status().message() << "\n";
    return nullptr;
  }
  SavePendingStateKey(path);
  return std::move(*store);
}

RefreshOptions MakeRefreshOptions(const CommonFlags& f) {
  RefreshOptions o;
  o.parallelism = f.parallelism;
  o.connect.connect_timeout =
      std::chrono::milliseconds(static_cast<long>(f.connect_timeout * 1000));
  o.connect.request_timeout =
      std::chrono::milliseconds(static_cast<long>(f.request_timeout * 1000));
  o.connect.known_hosts = f.known_hosts;
  o.connect.ssh_config = f.ssh_config;
  o.connect.accept_new_host_keys = f.accept_new_host_keys;
  if (f.global_timeout > 0)
    o.deadline = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(static_cast<long>(f.global_timeout * 1000));
  return o;
}

std::unique_ptr<Reconciler> MakeReconciler(const CommonFlags& flags, const DesiredState& desired,
                                           StateStore& store) {
  RefreshOptions options = MakeRefreshOptions(flags);
  // The manifest's registries: first, then the operator's Docker client configuration; the
  // providers keep it for the pulls of an apply that follows.
  options.connect.registry_auth = MakeRegistryAuth(desired.registries);
  // The key the manifest's digests were made under (already known: the manifest is loaded).
  if (auto key = StateKeyFor(StatePathFor(flags, desired.manifest_path)); key.ok())
    options.script_key = *key;
  return std::make_unique<Reconciler>(MakeSshProviderFactory(), store, std::move(options));
}

std::optional<std::vector<std::string>> SelectGroups(const po::variables_map& vm,
                                                     const DesiredState& desired,
                                                     bool default_all) {
  std::vector<std::string> groups;
  if (vm.count("groups")) groups = vm["groups"].as<std::vector<std::string>>();
  bool all = vm.count("all") && vm["all"].as<bool>();
  if (all && !groups.empty()) {
    std::cerr << "jlrec: give group names or --all, not both\n";
    return std::nullopt;
  }
  if (all || (groups.empty() && default_all)) {
    for (const auto& [name, g] : desired.groups) groups.push_back(name);
    return groups;
  }
  if (groups.empty()) {
    std::string known;
    for (const auto& [name, g] : desired.groups) known += (known.empty() ? "" : ", ") + name;
    std::cerr << "jlrec: name at least one group, or --all (groups: " << known << ")\n";
    return std::nullopt;
  }
  for (const auto& g : groups)
    if (!desired.groups.count(g)) {
      std::string known;
      for (const auto& [name, s] : desired.groups) known += (known.empty() ? "" : ", ") + name;
      std::cerr << "jlrec: unknown group '" << g << "' (groups: " << known << ")\n";
      return std::nullopt;
    }
  return groups;
}

LockOwner ThisProcess() {
  LockOwner who;
  std::string user = "unknown";
  if (const passwd* pw = getpwuid(geteuid())) user = pw->pw_name;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  who.owner = user + "@" + host;
  who.pid = getpid();
  who.hostname = host;
  return who;
}

}  // namespace jlrec::cli
