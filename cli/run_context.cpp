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

std::optional<int> ParseCommandLine(const std::string& command, const std::string& usage,
                                    const po::options_description& desc,
                                    const std::string& positional,
                                    const std::vector<std::string>& args, po::variables_map& vm) {
  po::options_description all = desc;
  all.add_options()("help,h", "show this help");
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
  console->set_level(f.debug ? spdlog::level::debug : spdlog::level::warn);
  console->set_pattern("%^%l%$: %v");
  sinks.push_back(console);
  if (!f.log_file.empty()) {
    try {
      auto file =
          std::make_shared<spdlog::sinks::rotating_file_sink_mt>(f.log_file, 10 * 1024 * 1024, 3);
      file->set_level(spdlog::level::debug);
      file->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%P] %l: %v");
      sinks.push_back(file);
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
  return LoadManifestOrReport(f.manifest, std::cerr);
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

KnownScripts KnownScriptsFromCache(StateStore& store, const std::string& project,
                                   const std::vector<std::string>& hosts) {
  KnownScripts known;
  auto cached = store.LoadSnapshots(project, hosts);
  if (!cached.ok()) {
    spdlog::debug("state cache not read, every /run.sh is read: {}", cached.status().message());
    return known;
  }
  for (const auto& h : *cached)
    for (const auto& c : h.containers)
      if (c.script_digest && !c.script_stat.empty())
        known[c.id] = KnownScript{c.script_stat, *c.script_digest};
  return known;
}

RefreshOutcome RefreshAndCache(const DesiredState& desired, const std::vector<std::string>& hosts,
                               const RefreshOptions& options, StateStore& store) {
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<ProviderFactory> factory = MakeSshProviderFactory();
  // What the last refresh read of each /run.sh, so that unchanged scripts are only stat'ed.
  RefreshOptions with_cache = options;
  with_cache.known_scripts =
      std::make_shared<const KnownScripts>(KnownScriptsFromCache(store, desired.project, hosts));
  // Adopted containers carry no label: a refresh asks for them by name.
  if (auto adoptions = store.ListAdoptions(desired.project); adoptions.ok()) {
    auto names = std::make_shared<std::map<std::string, std::vector<std::string>>>();
    for (const Adoption& a : *adoptions) (*names)[a.host].push_back(a.container);
    with_cache.adopted_names = std::move(names);
  } else {
    spdlog::warn("could not read the adoptions: {}", adoptions.status().message());
  }
  // The manifest's registries: first, then the operator's Docker client configuration; the
  // providers keep it for the pulls of an apply that follows.
  if (!with_cache.connect.registry_auth)
    with_cache.connect.registry_auth = MakeRegistryAuth(desired.registries);
  RefreshOutcome out = RefreshHosts(desired, hosts, factory, with_cache);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  int failed = 0;
  for (const auto& h : out.result.hosts) {
    if (h.reachable)
      spdlog::debug("refreshed {}: {} containers", h.host, h.containers.size());
    else {
      ++failed;
      spdlog::debug("refresh of {} failed: {}", h.host, h.error);
    }
  }
  spdlog::debug("refreshed {} hosts ({} failed) in {} ms", hosts.size(), failed, ms);
  Status saved = store.SaveSnapshots(desired.project, out.result.hosts);
  if (!saved.ok()) spdlog::warn("could not update the state cache: {}", saved.message());
  return out;
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

std::string ProcessOwner() {
  std::string user = "unknown";
  if (const passwd* pw = getpwuid(geteuid())) user = pw->pw_name;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return user + "@" + host;
}

ScopedLock::ScopedLock(ScopedLock&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)), info_(std::move(other.info_)) {}

ScopedLock& ScopedLock::operator=(ScopedLock&& other) noexcept {
  if (this != &other) {
    Release();
    store_ = std::exchange(other.store_, nullptr);
    info_ = std::move(other.info_);
  }
  return *this;
}

Status ScopedLock::Acquire(StateStore& store, const std::string& name, double timeout_s) {
  Release();
  info_ = LockInfo{};
  info_.name = name;
  info_.owner = ProcessOwner();
  info_.pid = getpid();
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  info_.hostname = host;
  info_.since = std::time(nullptr);
  auto got =
      store.AcquireLock(info_, std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)));
  if (!got.ok()) return got.status();
  if (got->has_value())
    spdlog::warn("took over the {} lock of {} (pid {} on {}, since {}): that process is gone", name,
                 (*got)->owner, (*got)->pid, (*got)->hostname, (*got)->since);
  store_ = &store;
  return Status::Ok();
}

void ScopedLock::Release() {
  if (store_) store_->ReleaseLock(info_.name, info_.pid);
  store_ = nullptr;
}

}  // namespace jlrec::cli
