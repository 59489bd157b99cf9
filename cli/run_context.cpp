#include "cli/run_context.h"

#include <pwd.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <tuple>
#include <utility>

#include "cli/color_policy.h"
#include "cli/manifest_location.h"
#include "cli/run_outcome.h"
#include "cli/state_key_for_run.h"
#include "cli/terminal_output.h"
#include "engine/diff.h"
#include "model/suggestion.h"
#include "providers/registry_auth.h"
#include "providers/ssh_provider.h"
#include "state/open_state_store.h"
#include "state/state_key.h"

namespace jlrec::cli {

void AddCommonOptions(po::options_description& desc, CommonFlags& f) {
  desc.add_options()("manifest,m", po::value(&f.manifest),
                     "manifest file or directory (default: $JLREC_MANIFEST, else ./jlrec.yaml)")(
      "state", po::value(&f.state)->value_name("FILE|URL"),
      "state: an SQLite file or postgresql://USER@HOST[:PORT]/DB (default: $JLREC_STATE, else "
      "the manifest's state:, else .jlrec/state.db beside the manifest)")(
      "state-key", po::value(&f.state_key)->value_name("FILE"),
      "the state key file (default: $JLREC_STATE_KEY, else STATE.key for a file, "
      ".jlrec/postgresql-state.key beside the manifest for PostgreSQL)");
  AddLoggingOptions(desc, f);
}

void AddLoggingOptions(po::options_description& desc, CommonFlags& f) {
  desc.add_options()("debug,v", po::bool_switch(&f.debug), "debug logging (= --log-level debug)")(
      "log-level", po::value(&f.log_level)->value_name("LEVEL"),
      "trace, debug, info, warn or error (default: $JLREC_LOG, else warn on the terminal)")(
      "log-file", po::value(&f.log_file)->value_name("FILE"),
      "also log to FILE, info and up: every run's outcome line (default: $JLREC_LOG_FILE; "
      "rotated at 10 MB, 3 kept)")("no-color", po::bool_switch(&f.no_color), "no ANSI colours");
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

std::string SuggestOption(const std::string& typed, const po::options_description& desc,
                          const std::string& positional) {
  std::string word = typed.substr(0, typed.find('='));
  const bool dashed = word.rfind('-', 0) == 0;
  word.erase(0, word.find_first_not_of('-'));
  std::vector<std::string> names;
  for (const auto& option : desc.options()) {
    const std::string& name = option->long_name();
    if (name.empty() || name == positional) continue;
    // "-json" for "--json": the word itself, with one dash too few.
    if (dashed && name == word && typed.rfind("--", 0) != 0)
      return "did you mean '--" + name + "'?";
    names.push_back(name);
  }
  if (word.size() < 2) return "";  // one letter: a short option, too short to guess from
  auto nearest = NearestName(word, names);
  return nearest ? "did you mean '--" + *nearest + "'?" : "";
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
  } catch (const po::unknown_option& e) {
    const std::string hint = SuggestOption(e.get_option_name(), all, positional);
    std::cerr << "jlrec " << command << ": " << e.what() << (hint.empty() ? "" : ": " + hint)
              << " (see jlrec " << command << " --help)\n";
    return 1;
  } catch (const po::error& e) {
    std::cerr << "jlrec " << command << ": " << e.what() << " (see jlrec " << command
              << " --help)\n";
    return 1;
  }
  if (Status level = CheckLogLevel(vm); !level.ok()) {
    std::cerr << "jlrec " << command << ": " << level.message() << "\n";
    return 1;
  }
  return std::nullopt;
}

namespace {

std::optional<spdlog::level::level_enum> LevelNamed(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return std::nullopt;
}

}  // namespace

Result<std::optional<spdlog::level::level_enum>> ChosenLogLevel(const std::string& flag,
                                                                bool debug) {
  std::optional<spdlog::level::level_enum> from_env;
  if (const char* env = std::getenv("JLREC_LOG"); env != nullptr && *env != '\0') {
    from_env = LevelNamed(env);
    if (!from_env)
      return Status::InvalidArgument(std::string("JLREC_LOG=") + env +
                                     " is not a log level (levels: " + kLogLevelNames + ")");
  }
  if (!flag.empty()) {
    auto level = LevelNamed(flag);
    if (!level)
      return Status::InvalidArgument("--log-level " + flag +
                                     " is not a log level (levels: " + kLogLevelNames + ")");
    return level;
  }
  if (debug) return std::optional(spdlog::level::debug);
  return from_env;
}

Status CheckLogLevel(const po::variables_map& vm) {
  const std::string flag = vm.count("log-level") ? vm["log-level"].as<std::string>() : "";
  const bool debug = vm.count("debug") && vm["debug"].as<bool>();
  auto chosen = ChosenLogLevel(flag, debug);
  return chosen.ok() ? Status::Ok() : chosen.status();
}

void SetupLogging(const CommonFlags& f) {
  // Checked by ParseCommandLine (or the command's own parser) already: warn if it was not.
  auto chosen = ChosenLogLevel(f.log_level, f.debug);
  if (!chosen.ok()) std::cerr << "jlrec: " << chosen.status().message() << "; logging warnings\n";
  const std::optional<spdlog::level::level_enum> level =
      chosen.ok() ? *chosen : std::optional(spdlog::level::warn);
  std::vector<spdlog::sink_ptr> sinks;
  // Our colour policy, not spdlog's own terminal check (which knows neither NO_COLOR nor
  // --no-color).
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      WantColor(STDERR_FILENO, f.no_color) ? spdlog::color_mode::always
                                           : spdlog::color_mode::never);
  console->set_level(level ? *level : f.info_on_stderr ? spdlog::level::info : spdlog::level::warn);
  console->set_pattern("%^%l%$: %v");
  // spdlog writes to the C stderr, not through std::cerr's filter: its messages are escaped
  // on their own (a warning can name a lock holder read from the state file).
  sinks.push_back(PrintableSink(console));
  std::string log_file = f.log_file;
  if (const char* env = std::getenv("JLREC_LOG_FILE"); log_file.empty() && env != nullptr)
    log_file = env;
  if (!log_file.empty()) {
    try {
      auto file =
          std::make_shared<spdlog::sinks::rotating_file_sink_mt>(log_file, 10 * 1024 * 1024, 3);
      // Info and up: the outcome of every run, whatever the terminal shows.
      file->set_level(std::min(level.value_or(spdlog::level::info), spdlog::level::info));
      file->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%P] %l: %v");
      sinks.push_back(PrintableSink(file));  // the log is read on a terminal too
    } catch (const spdlog::spdlog_ex& e) {
      std::cerr << "jlrec: cannot open log file " << log_file << ": " << e.what() << "\n";
    }
  }
  spdlog::level::level_enum lowest = spdlog::level::off;
  for (const auto& sink : sinks) lowest = std::min(lowest, sink->level());
  auto logger = std::make_shared<spdlog::logger>("jlrec", sinks.begin(), sinks.end());
  logger->set_level(lowest);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::optional<DesiredState> LoadDesiredState(const CommonFlags& f) {
  auto located = LocateManifest(f.manifest);
  if (!located.ok()) {
    std::cerr << "jlrec: " << located.status().message() << "\n";
    return std::nullopt;
  }
  const StateChoice* state = StateFor(f, *located);
  if (!state) return std::nullopt;
  auto key = StateKeyFor(state->key_path);
  if (!key.ok()) {
    std::cerr << "jlrec: " << key.status().message() << "\n";
    return std::nullopt;
  }
  auto desired = LoadManifestOrReport(*located, std::cerr, *key);
  if (desired) SetOutcomeProject(desired->project);
  return desired;
}

const StateChoice* StateFor(const CommonFlags& f, const std::string& manifest_path) {
  // One choice per process: the manifest's state: is read once, whoever asks.
  static std::map<std::tuple<std::string, std::string, std::string>, StateChoice> chosen;
  const auto key = std::make_tuple(f.state, f.state_key, manifest_path);
  if (auto it = chosen.find(key); it != chosen.end()) return &it->second;
  auto choice = ChooseState(f.state, f.state_key, manifest_path);
  if (!choice.ok()) {
    std::cerr << "jlrec: " << choice.status().message() << "\n";
    return nullptr;
  }
  // A shared state is worth naming in the log (never a password: the URL holds none).
  if (choice->location.is_postgres()) AddOutcome("state", choice->location.Display());
  return &chosen.emplace(key, std::move(*choice)).first->second;
}

std::unique_ptr<StateStore> OpenStateStore(const CommonFlags& f, const DesiredState& desired) {
  const StateChoice* state = StateFor(f, desired.manifest_path);
  if (!state) return nullptr;
  auto store = OpenStateStoreAt(state->location);
  if (!store || !ClaimStateKeyOrReport(*store, desired.project, *state)) return nullptr;
  return store;
}

std::unique_ptr<StateStore> OpenStateStoreAt(const StateLocation& location) {
  auto store = jlrec::OpenStateStore(location);
  if (!store.ok()) {
    std::cerr << "jlrec: state " << location.Display() << ": " << store.status().message() << "\n";
    return nullptr;
  }
  return std::move(*store);
}

bool ClaimStateKeyOrReport(StateStore& store, const std::string& project,
                           const StateChoice& state) {
  const bool sole_copy =
      !state.location.is_postgres() && state.key_path == StateKeyPath(state.location.target);
  Status claimed = ClaimStateKey(store, project, state.key_path, sole_copy);
  if (!claimed.ok())
    std::cerr << "jlrec: state " << state.location.Display() << ": " << claimed.message() << "\n";
  return claimed.ok();
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
                                           StateStore& store, bool check_image_digests) {
  RefreshOptions options = MakeRefreshOptions(flags);
  options.check_image_digests = check_image_digests;
  // The manifest's registries: first, then the operator's Docker client configuration; the
  // providers keep it for the pulls of an apply that follows.
  options.connect.registry_auth = MakeRegistryAuth(desired.registries);
  // The key the manifest's digests were made under (already known: the manifest is loaded).
  if (const StateChoice* state = StateFor(flags, desired.manifest_path))
    if (auto key = StateKeyFor(state->key_path); key.ok()) options.script_key = *key;
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
  return groups;
}

std::optional<GroupSelection> SelectFromCommandLine(const CommonFlags& flags,
                                                    const po::variables_map& vm) {
  GroupSelection s;
  auto desired = LoadDesiredState(flags);
  if (!desired) return std::nullopt;
  s.desired = std::move(*desired);
  auto groups = SelectGroups(vm, s.desired, /*default_all=*/true);
  if (!groups) return std::nullopt;
  s.groups = std::move(*groups);
  auto selected = SelectContainers(s.desired, s.groups, {});
  if (!selected.ok()) {
    std::cerr << "jlrec: " << selected.status().message() << "\n";
    return std::nullopt;
  }
  s.containers = std::move(*selected);
  s.hosts = SelectedHosts(s.containers);
  s.store = OpenStateStore(flags, s.desired);
  if (!s.store) return std::nullopt;
  return s;
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
