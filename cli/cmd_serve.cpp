// `jlrec serve`: the HTTP API, status page and metrics for one project, with a drift loop
// (docs/api.md). The CLI only parses flags and wires the real providers and state store into
// the server (serve/server.h), which runs on the engine's pipeline.
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <charconv>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/command.h"
#include "cli/manifest_location.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"
#include "cli/state_key_for_run.h"
#include "manifests/source_files.h"
#include "serve/server.h"
#include "state/open_state_store.h"

namespace jlrec::cli {
namespace {

// "60s", "2m", "500ms", "1h" or a plain number of seconds.
std::optional<std::chrono::milliseconds> ParseInterval(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || !(value > 0)) return std::nullopt;
  const std::string unit(p, end);
  double ms = 0;
  if (unit.empty() || unit == "s")
    ms = value * 1000;
  else if (unit == "ms")
    ms = value;
  else if (unit == "m")
    ms = value * 60000;
  else if (unit == "h")
    ms = value * 3600000;
  else
    return std::nullopt;
  if (ms < 100 || ms > 7 * 24 * 3600000.0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

// "HOST:PORT", "[V6]:PORT" or ":PORT" (loopback). False when malformed.
bool ParseListen(const std::string& text, std::string& host, int& port) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  const std::string digits = text.substr(colon + 1);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return ec == std::errc() && p == digits.data() + digits.size() && port >= 0 && port <= 65535;
}

// The token is a secret: its file must be the operator's alone, and it is never printed.
Result<std::string> ReadToken(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Status::NotFound("--token-file " + path + " not found");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return Status::InvalidArgument("--token-file " + path +
                                   " is readable by group or others: chmod 600 it");
  auto text = ReadSourceFile(path);
  if (!text.ok()) return text.status();
  std::string token = text->substr(0, text->find('\n'));
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.size() < 16)
    return Status::InvalidArgument("--token-file " + path +
                                   ": the token (its first line) must be at least 16 characters");
  for (char c : token)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return Status::InvalidArgument("--token-file " + path +
                                     ": the token must not hold spaces or control characters");
  return token;
}

int RunServe(const std::vector<std::string>& args) {
  CommonFlags common;
  std::string listen = "127.0.0.1:8080", interval_text = "60s", token_file;
  int apply_parallelism = 10;
  common.global_timeout = 300;
  po::options_description desc("serve options");
  // clang-format off
  desc.add_options()
      ("listen", po::value(&listen)->default_value(listen),
       "HOST:PORT to serve on; other than loopback only with --token-file")
      ("interval", po::value(&interval_text)->default_value(interval_text),
       "between two drift checks: 30s, 5m, 1h, ...; 0: no drift loop (a cron `jlrec drift` "
       "keeps the history the server shows)")
      ("token-file", po::value(&token_file),
       "file whose first line is the bearer token POST /api/v1/apply needs (mode 600); "
       "without it the server is read-only")
      ("timeout", po::value(&common.global_timeout)->default_value(300),
       "seconds a drift check may take; then what is known is recorded")
      ("apply-parallelism", po::value(&apply_parallelism)->default_value(10),
       "actions at once in an apply asked for over the API");
  // clang-format on
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("serve", "[options]", desc, "", args, vm)) return *rc;
  // Serving is what the log is for: one line per request and per check, on stderr (the
  // journal of a systemd unit) as well as in --log-file.
  common.info_on_stderr = true;
  SetupLogging(common);

  serve::ServeOptions options;
  if (!ParseListen(listen, options.listen_host, options.listen_port)) {
    std::cerr << "jlrec: --listen " << listen << ": expected HOST:PORT (e.g. 127.0.0.1:8080)\n";
    return 1;
  }
  auto interval = interval_text == "0" ? std::optional(std::chrono::milliseconds(0))
                                       : ParseInterval(interval_text);
  if (!interval) {
    std::cerr << "jlrec: --interval " << interval_text
              << ": expected a duration from 100ms to 7 days, e.g. 30s, 5m, 1h\n";
    return 1;
  }
  options.interval = *interval;
  options.drift_loop = interval->count() > 0;
  options.apply_parallelism = std::max(1, apply_parallelism);
  if (!token_file.empty()) {
    auto token = ReadToken(token_file);
    if (!token.ok()) {
      std::cerr << "jlrec: " << token.status().message() << "\n";
      return 1;
    }
    options.token = *token;
  }
  if (options.token.empty() && !serve::IsLoopbackHost(options.listen_host)) {
    std::cerr << "jlrec: refusing to listen on " << options.listen_host
              << " without --token-file: only loopback addresses may serve without one\n";
    return 1;
  }

  // The manifest must load at start: a server that can show nothing is not started.
  auto located = LocateManifest(common.manifest);
  if (!located.ok()) {
    std::cerr << "jlrec: " << located.status().message() << "\n";
    return 1;
  }
  const std::string manifest = *located;
  const StateChoice* chosen = StateFor(common, manifest);
  if (!chosen) return 1;
  const StateChoice state = *chosen;
  auto key = StateKeyFor(state.key_path);
  if (!key.ok()) {
    std::cerr << "jlrec: " << key.status().message() << "\n";
    return 1;
  }
  const std::string script_key = *key;
  serve::ProjectAccess access;
  access.load_manifest = [manifest, script_key]() -> Result<DesiredState> {
    std::ostringstream diagnostics;
    auto desired = LoadManifestOrReport(manifest, diagnostics, script_key);
    if (!desired)
      return Status::InvalidArgument("the manifest does not load: " + diagnostics.str());
    return std::move(*desired);
  };
  access.open_store = [location = state.location]() -> Result<std::unique_ptr<StateStore>> {
    // Its own error, not OpenStateStoreAt's print: a request's failure is the API's to tell.
    return jlrec::OpenStateStore(location);
  };
  access.make_reconciler = [common](const DesiredState& desired, StateStore& store) {
    return MakeReconciler(common, desired, store);
  };
  access.owner = ThisProcess();
  {
    auto desired = access.load_manifest();
    if (!desired.ok()) {
      std::cerr << "jlrec: " << desired.status().message() << "\n";
      return 1;
    }
    SetOutcomeProject(desired->project);
    // The state must take this checkout's key before the server writes anything keyed (a
    // drift check's digests): a key the state does not hold stops it here, with what to do.
    auto store = OpenStateStoreAt(state.location);
    if (!store || !ClaimStateKeyOrReport(*store, desired->project, state)) return 1;
  }

  // SIGTERM/SIGINT are taken by one thread (sigwait), never by a handler: shutting down
  // takes locks and joins threads, which a handler may not.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  serve::Server server(std::move(access), options);
  Status bound = server.Bind();
  if (!bound.ok()) {
    std::cerr << "jlrec: " << bound.message() << "\n";
    return 1;
  }
  const std::string url_host = options.listen_host.find(':') != std::string::npos
                                   ? "[" + options.listen_host + "]"
                                   : options.listen_host;
  AddOutcome("listen", "http://" + url_host + ":" + std::to_string(server.port()) + "/");
  AddOutcome("token", options.token.empty() ? "no" : "yes");
  AddOutcome("drift_interval", options.drift_loop ? interval_text : "off");
  LogOutcomeEvent("started");
  spdlog::info("jlrec serve: {} on http://{}:{}/ ({}; {})", manifest, url_host, server.port(),
               options.token.empty() ? "read-only" : "applies need the token",
               options.drift_loop ? "drift check every " + interval_text : "no drift loop");
  std::thread waiter([&server, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("jlrec serve: signal {}: finishing the running check and applies", sig);
    server.Shutdown();
  });
  server.Serve();
  // Serve returned (Shutdown ran): wake the waiter if no signal did.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  spdlog::info("jlrec serve: stopped");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("serve", "serve the HTTP API, status page and metrics, with a drift loop",
                       RunServe);

}  // namespace jlrec::cli
