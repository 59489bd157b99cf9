#include "serve/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>
#include <optional>

#include "engine/diff.h"
#include "engine/plan_json.h"
#include "model/digest.h"
#include "model/rfc3339.h"
#include "model/strings.h"
#include "serve/api_document.h"
#include "serve/api_error.h"
#include "serve/apply_jobs.h"
#include "serve/drift_loop.h"
#include "serve/fleet_metrics.h"
#include "serve/fleet_source.h"
#include "serve/fleet_view.h"
#include "serve/journal_json.h"
#include "serve/metrics_registry.h"
#include "serve/status_page.h"

namespace jlrec::serve {
namespace {

using httplib::Request;
using httplib::Response;

constexpr const char* kJson = "application/json";
constexpr std::size_t kMaxBody = 64 * 1024;
constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 1000;

// Host names, reasons and errors come from hosts and files: JSON text must stay valid even
// when they are not UTF-8.
std::string JsonBody(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void Reply(Response& res, int status, const nlohmann::json& doc) {
  res.status = status;
  res.set_content(JsonBody(doc), kJson);
}

void Fail(Response& res, const ApiError& error) {
  Reply(res, HttpStatusOf(error.code), ApiErrorToJson(error));
}

void Fail(Response& res, ApiErrorCode code, std::string message) {
  Fail(res, ApiError{code, std::move(message)});
}

// ?limit=N: 1..kMaxLimit, default kDefaultLimit.
std::optional<int> LimitOf(const Request& req, std::string& error) {
  if (!req.has_param("limit")) return kDefaultLimit;
  const std::string text = req.get_param_value("limit");
  int n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || p != end || n < 1 || n > kMaxLimit) {
    error = "limit must be a whole number from 1 to " + std::to_string(kMaxLimit);
    return std::nullopt;
  }
  return n;
}

// A query list: repeated parameters and comma-separated values both count.
std::vector<std::string> ListParam(const Request& req, const std::string& name) {
  std::vector<std::string> out;
  const std::size_t n = req.get_param_value_count(name);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string value = req.get_param_value(name, i);
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      if (comma > start) out.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

// A JSON body's list of strings under `key` (absent: empty). False, with `error`, when the
// value is not a list of strings.
bool StringList(const nlohmann::json& body, const char* key, std::vector<std::string>& out,
                std::string& error) {
  if (!body.contains(key)) return true;
  const auto& v = body.at(key);
  if (!v.is_array()) {
    error = std::string(key) + " must be a list of strings";
    return false;
  }
  for (const auto& item : v) {
    if (!item.is_string()) {
      error = std::string(key) + " must be a list of strings";
      return false;
    }
    out.push_back(item.get<std::string>());
  }
  return true;
}

// X-Jlrec-User names who asks in the journal: a short plain name, never free text.
std::optional<std::string> UserOf(const Request& req) {
  if (!req.has_header("X-Jlrec-User")) return std::string("api");
  std::string user = req.get_header_value("X-Jlrec-User");
  if (user.empty() || user.size() > 64) return std::nullopt;
  for (char c : user)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      return std::nullopt;
  return user;
}

std::string RandomKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // OpenSSL's generator failed: a key from the clock is no secret, so fingerprints are
    // then only as good as a plain digest. Say so rather than refuse to serve.
    spdlog::warn("no random bytes for the plan fingerprint key; fingerprints are unkeyed");
    return std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

struct Server::Impl {
  Impl(ProjectAccess a, ServeOptions o)
      : access(std::move(a)),
        options(std::move(o)),
        fleet(access, options),
        loop(access, options, [this](const DriftTurn& turn) { OnTurn(turn); }),
        jobs(access, options, RandomKey(), [this](const ApplyDone& done) { OnApplyDone(done); }) {}

  ProjectAccess access;
  ServeOptions options;
  MetricsRegistry metrics;
  FleetSource fleet;
  DriftLoop loop;
  ApplyJobs jobs;
  httplib::Server http;
  int port = 0;
  std::atomic<bool> stopped{false};
  /// The newest successful drift check this server knows of (unix seconds; 0 none), from a
  /// longer stretch of the history than the fleet view reads.
  std::atomic<std::int64_t> last_success_at{0};
  Mutex shutdown_mu;
  std::condition_variable shutdown_cv;
  bool shut_down GUARDED_BY(shutdown_mu) = false;  // Shutdown() has finished
  Mutex refresh_mu;                                // one POST /api/v1/refresh at a time

  void OnTurn(const DriftTurn& turn) {
    if (turn.desired) fleet.SetDesired(turn.desired);
    if (turn.kind != DriftTurn::Kind::kChecked) return;
    DriftCheckTiming timing;
    timing.checked_at = turn.checked_at;
    timing.duration_seconds = turn.seconds;
    timing.refresh_seconds = turn.refresh_seconds;
    if (DriftCheckSucceeded(turn.check.result)) {
      timing.previous_success_at = turn.checked_at;
    } else {
      // The history holds this check too, which is no success: the newest success is older.
      Status read = fleet.WithStore([&](StateStore& store) {
        auto history = store.ListDriftChecks(turn.project, 0, kLastSuccessLookback);
        if (!history.ok()) return history.status();
        timing.previous_success_at = LastSuccessfulCheckAt(*history);
        return Status::Ok();
      });
      if (!read.ok()) spdlog::warn("metrics: reading the drift history: {}", read.message());
    }
    if (timing.previous_success_at)
      last_success_at = std::max(last_success_at.load(), *timing.previous_success_at);
    Status recorded = RecordDriftCheck(metrics, turn.plan, turn.check, timing);
    if (!recorded.ok()) spdlog::error("metrics: {}", recorded.message());
    fleet.Invalidate();
  }
  void OnApplyDone(const ApplyDone& done) {
    Status recorded = RecordApply(metrics, done.plan, done.report);
    if (!recorded.ok()) spdlog::error("metrics: {}", recorded.message());
    fleet.Invalidate();
  }

  nlohmann::json DriftLoopJson(const FleetData& view) const {
    const DriftLoopStatus s = loop.status();
    nlohmann::json last = nullptr;
    std::int64_t last_success = 0;
    // The newest check may be a cron `jlrec drift`'s: the history says, not the loop.
    for (const auto& c : view.recent_checks) {
      if (last.is_null())
        last = {{"id", c.id},
                {"checked_at", TimeToJson(c.checked_at)},
                {"result", c.result},
                {"summary", c.detail},
                {"duration_seconds", s.last_duration}};
      if (DriftCheckSucceeded(c.result)) {
        last_success = c.checked_at;
        break;
      }
    }
    last_success = std::max(last_success, last_success_at.load());
    return {{"interval_seconds", std::chrono::duration<double>(options.interval).count()},
            {"enabled", options.drift_loop},
            {"state", s.state},
            {"last_check", last},
            {"last_success_at", TimeToJson(last_success)},
            {"next_check_at", TimeToJson(s.next_check_at)},
            {"checks_since_start", s.checks},
            {"note", s.note}};
  }

  FleetSnapshot SnapshotOf(const FleetData& view) const {
    FleetSnapshot s;
    s.desired = view.desired.get();
    s.planned = &view.planned;
    s.last_changes = view.last_changes;
    s.now = std::time(nullptr);
    return s;
  }

  void Groups(const Request&, Response& res) {
    auto view = fleet.Get();
    if (!view.ok()) return Fail(res, ApiErrorOf(view.status()));
    Reply(res, 200, GroupsToJson(SnapshotOf(**view), DriftLoopJson(**view), (*view)->recent_runs));
  }

  void Group(const Request& req, Response& res) {
    auto view = fleet.Get();
    if (!view.ok()) return Fail(res, ApiErrorOf(view.status()));
    auto doc = GroupToJson(SnapshotOf(**view), req.matches[1]);
    if (!doc.ok()) return Fail(res, ApiErrorOf(doc.status()));
    Reply(res, 200, *doc);
  }

  // The groups and targets asked for, checked against the manifest: 404 for one it lacks.
  std::optional<std::vector<std::string>> Selection(const DesiredState& desired,
                                                    std::vector<std::string> groups,
                                                    const std::vector<std::string>& targets,
                                                    Response& res) {
    if (groups.empty())
      for (const auto& [name, g] : desired.groups) groups.push_back(name);
    for (const auto& g : groups)
      if (!desired.groups.count(g)) {
        Fail(res, ApiErrorOf(NoSuchGroup(desired, g)));
        return std::nullopt;
      }
    auto selected = SelectContainers(desired, groups, targets);
    if (!selected.ok()) {
      Fail(res, ApiErrorCode::kNotFound, selected.status().message());
      return std::nullopt;
    }
    return groups;
  }

  void PlanRoute(const Request& req, Response& res) {
    auto desired = fleet.Desired();
    if (!desired.ok()) return Fail(res, ApiErrorOf(desired.status()));
    PlanRequest request;
    request.targets = ListParam(req, "target");
    auto groups = Selection(**desired, ListParam(req, "groups"), request.targets, res);
    if (!groups) return;
    request.groups = *groups;
    auto planned = fleet.PlanFromCache(request);
    if (!planned.ok()) return Fail(res, ApiErrorOf(planned.status()));
    const Plan& plan = planned->plan;
    nlohmann::json doc = PlanToJson(plan, false);
    doc["kind"] = "plan";  // the plan JSON of docs/plan-json.md, named like every API document
    doc["plan_fingerprint"] = jobs.Fingerprint(plan);
    doc["observed_at"] = TimeToJson(plan.oldest_observation);
    doc["age_seconds"] = plan.oldest_observation > 0
                             ? nlohmann::json(std::time(nullptr) - plan.oldest_observation)
                             : nlohmann::json(nullptr);
    Reply(res, 200, doc);
  }

  void Refresh(const Request& req, Response& res) {
    std::vector<std::string> groups;
    if (!req.body.empty()) {
      nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
      std::string error;
      if (body.is_discarded() || !body.is_object())
        return Fail(res, ApiErrorCode::kBadRequest, "the body must be a JSON object");
      if (!StringList(body, "groups", groups, error))
        return Fail(res, ApiErrorCode::kBadRequest, error);
    }
    MutexLock one_at_a_time(refresh_mu);
    auto desired = access.load_manifest();
    if (!desired.ok()) return Fail(res, ApiErrorOf(desired.status()));
    auto selection = Selection(*desired, groups, {}, res);
    if (!selection) return;
    auto selected = SelectContainers(*desired, *selection, {});
    if (!selected.ok()) return Fail(res, ApiErrorOf(selected.status()));
    auto store = access.open_store();
    if (!store.ok()) return Fail(res, ApiErrorOf(store.status()));
    const auto t0 = std::chrono::steady_clock::now();
    auto reconciler = access.make_reconciler(*desired, **store);
    RefreshOutcome outcome = reconciler->Refresh(*desired, SelectedHosts(*selected));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Status recorded = RecordRefresh(metrics, desired->project, seconds, outcome.result);
    if (!recorded.ok()) spdlog::error("metrics: {}", recorded.message());
    nlohmann::json hosts = nlohmann::json::array();
    for (const auto& h : outcome.result.hosts)
      hosts.push_back({{"host", h.host},
                       {"reachable", h.reachable},
                       {"containers", h.containers.size()},
                       {"error", h.reachable ? nlohmann::json(nullptr) : nlohmann::json(h.error)}});
    const std::string project = desired->project;
    fleet.SetDesired(std::make_shared<const DesiredState>(std::move(*desired)));
    fleet.Invalidate();
    Reply(res, 200,
          {{"format_version", 1},
           {"kind", "refresh"},
           {"project", project},
           {"seconds", seconds},
           {"hosts", hosts}});
  }

  void Runs(const Request& req, Response& res) {
    std::string error;
    auto limit = LimitOf(req, error);
    if (!limit) return Fail(res, ApiErrorCode::kBadRequest, error);
    const std::string kind = req.has_param("kind") ? req.get_param_value("kind") : "";
    auto desired = fleet.Desired();
    if (!desired.ok()) return Fail(res, ApiErrorOf(desired.status()));
    std::vector<RunRecord> runs;
    Status read = fleet.WithStore([&](StateStore& store) {
      // A state may hold several projects' journals: only this one's are answered.
      auto listed = store.ListRuns((*desired)->project, kind, *limit, 0);
      if (!listed.ok()) return listed.status();
      runs = std::move(*listed);
      return Status::Ok();
    });
    if (!read.ok()) return Fail(res, ApiErrorOf(read));
    Reply(res, 200, RunsToJson(runs));
  }

  void Run(const Request& req, Response& res) {
    std::int64_t id = 0;
    const std::string text = req.matches[1];
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || p != text.data() + text.size() || id <= 0)
      return Fail(res, ApiErrorCode::kNotFound, "no run " + text);
    auto desired = fleet.Desired();
    if (!desired.ok()) return Fail(res, ApiErrorOf(desired.status()));
    nlohmann::json doc;
    Status read = fleet.WithStore([&](StateStore& store) {
      auto run = store.LoadRun(id);
      if (!run.ok()) return run.status();
      if (!*run || (*run)->project != (*desired)->project)
        return Status::NotFound("no run " + std::to_string(id) + " of project " +
                                (*desired)->project);
      auto actions = store.ListActions(id);
      if (!actions.ok()) return actions.status();
      auto release = store.ListRelease(id);
      if (!release.ok()) return release.status();
      doc = RunDetailToJson(**run, *actions, *release);
      return Status::Ok();
    });
    if (!read.ok()) return Fail(res, ApiErrorOf(read));
    Reply(res, 200, doc);
  }

  void Drift(const Request& req, Response& res) {
    std::string error;
    auto limit = LimitOf(req, error);
    if (!limit) return Fail(res, ApiErrorCode::kBadRequest, error);
    auto desired = fleet.Desired();
    if (!desired.ok()) return Fail(res, ApiErrorOf(desired.status()));
    nlohmann::json doc;
    Status read = fleet.WithStore([&](StateStore& store) {
      auto checks = store.ListDriftChecks((*desired)->project, 0, *limit);
      if (!checks.ok()) return checks.status();
      doc = DriftHistoryToJson(*checks);
      return Status::Ok();
    });
    if (!read.ok()) return Fail(res, ApiErrorOf(read));
    Reply(res, 200, doc);
  }

  void Apply(const Request& req, Response& res) {
    if (options.token.empty())
      return Fail(res, ApiErrorCode::kReadOnly,
                  "this server is read-only: start it with --token-file to allow applies");
    const std::string auth = req.get_header_value("Authorization");
    const std::string bearer = "Bearer ";
    if (auth.compare(0, bearer.size(), bearer) != 0 ||
        !DigestsEqual(auth.substr(bearer.size()), options.token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      return Fail(res, ApiErrorCode::kUnauthorized,
                  "POST /api/v1/apply needs Authorization: Bearer with the server's token");
    }
    auto user = UserOf(req);
    if (!user)
      return Fail(res, ApiErrorCode::kBadRequest,
                  "X-Jlrec-User must be 1 to 64 letters, digits, '.', '-' or '_'");
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return Fail(res, ApiErrorCode::kBadRequest, "the body must be a JSON object");
    ApplyAsk ask;
    ask.user = *user;
    std::string error;
    if (!StringList(body, "groups", ask.groups, error) ||
        !StringList(body, "target", ask.targets, error))
      return Fail(res, ApiErrorCode::kBadRequest, error);
    if (!body.contains("plan_fingerprint") || !body["plan_fingerprint"].is_string())
      return Fail(res, ApiErrorCode::kBadRequest,
                  "plan_fingerprint (from GET /api/v1/plan) is required");
    ask.fingerprint = body["plan_fingerprint"].get<std::string>();
    if (body.contains("adopt")) {
      if (!body["adopt"].is_boolean())
        return Fail(res, ApiErrorCode::kBadRequest, "adopt must be true or false");
      ask.adopt = body["adopt"].get<bool>();
    }
    auto desired = fleet.Desired();
    if (!desired.ok()) return Fail(res, ApiErrorOf(desired.status()));
    auto groups = Selection(**desired, ask.groups, ask.targets, res);
    if (!groups) return;
    ask.groups = *groups;
    ApplyAnswer answer = jobs.Start(ask);
    Reply(res, answer.http_status, answer.body);
  }

  void Metrics(const Request&, Response& res) {
    res.status = 200;
    res.set_content(metrics.Exposition(), "text/plain; version=0.0.4; charset=utf-8");
  }

  void Routes();
};

void Server::Impl::Routes() {
  using Handler = void (Impl::*)(const Request&, Response&);
  const auto on = [this](Handler h) {
    return [this, h](const Request& req, Response& res) {
      if (stopped) return Fail(res, ApiErrorCode::kUnavailable, "the server is shutting down");
      (this->*h)(req, res);
    };
  };
  const auto not_allowed = [](const char* allowed) {
    return [allowed](const Request& req, Response& res) {
      res.set_header("Allow", allowed);
      Fail(res, ApiErrorCode::kMethodNotAllowed,
           req.method + " " + req.path + " is not allowed (" + allowed + ")");
    };
  };
  struct Route {
    const char* pattern;
    bool post;  // false: GET
    Handler handler;
  };
  const Route routes[] = {
      {"/api/v1/groups", false, &Impl::Groups},  {R"(/api/v1/groups/([^/]+))", false, &Impl::Group},
      {"/api/v1/plan", false, &Impl::PlanRoute}, {"/api/v1/refresh", true, &Impl::Refresh},
      {"/api/v1/runs", false, &Impl::Runs},      {R"(/api/v1/runs/([^/]+))", false, &Impl::Run},
      {"/api/v1/drift", false, &Impl::Drift},    {"/api/v1/apply", true, &Impl::Apply},
      {"/metrics", false, &Impl::Metrics},
  };
  for (const Route& r : routes) {
    if (r.post) {
      http.Post(r.pattern, on(r.handler));
      http.Get(r.pattern, not_allowed("POST"));
    } else {
      http.Get(r.pattern, on(r.handler));
      http.Post(r.pattern, not_allowed("GET"));
    }
    http.Put(r.pattern, not_allowed(r.post ? "POST" : "GET"));
    http.Delete(r.pattern, not_allowed(r.post ? "POST" : "GET"));
    http.Patch(r.pattern, not_allowed(r.post ? "POST" : "GET"));
  }
  http.Get("/", [](const Request&, Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                   "img-src 'self' data:");
    res.set_content(std::string(StatusPageHtml()), "text/html; charset=utf-8");
  });

  // Unmatched routes, and errors without a body, answer the API's JSON error.
  const httplib::Server::HandlerWithResponse on_error = [](const Request& req, Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 404) {
      Fail(res, ApiErrorCode::kNotFound, "no route " + req.method + " " + req.path);
    } else {
      // The library's own refusals: a body too large (413), a malformed request (400), ...
      const int status = res.status;
      Reply(res, status,
            ApiErrorToJson(ApiError{
                status < 500 ? ApiErrorCode::kBadRequest : ApiErrorCode::kInternal,
                status == 413 ? "the body is too large"
                              : "the request was refused (HTTP " + std::to_string(status) + ")"}));
    }
    return httplib::Server::HandlerResponse::Handled;
  };
  http.set_error_handler(on_error);
  // Never a stack trace or an exception's text to the client (the library's default puts it
  // in a header): the log has it.
  http.set_exception_handler([](const Request& req, Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("{} {}: internal error: {}", req.method, req.path, what);
    Fail(res, ApiErrorCode::kInternal, "internal error (see the server's log)");
  });
  http.set_logger([](const Request& req, const Response& res) {
    // One line per request: who, what, how it ended, how big.
    spdlog::info("{} {} {} {} {}B", req.remote_addr, req.method, req.path, res.status,
                 res.body.size());
  });
  http.set_payload_max_length(kMaxBody);
  // The library writes a response's headers and body apart: with Nagle's algorithm, a
  // kept-alive connection waits out the client's delayed ACK (40 ms) on every answer.
  http.set_tcp_nodelay(true);
  http.set_read_timeout(10, 0);
  http.set_write_timeout(10, 0);
  http.set_keep_alive_max_count(1000);
}

Server::Server(ProjectAccess access, ServeOptions options)
    : impl_(std::make_unique<Impl>(std::move(access), std::move(options))) {
  impl_->Routes();
}

Server::~Server() { Shutdown(); }

Status Server::Bind() {
  const ServeOptions& o = impl_->options;
  if (o.listen_port == 0) {
    int port = impl_->http.bind_to_any_port(o.listen_host);
    if (port <= 0) return Status::Unavailable("cannot listen on " + o.listen_host);
    impl_->port = port;
  } else {
    if (!impl_->http.bind_to_port(o.listen_host, o.listen_port))
      return Status::Unavailable("cannot listen on " + o.listen_host + ":" +
                                 std::to_string(o.listen_port) +
                                 " (in use, or not an address of this machine)");
    impl_->port = o.listen_port;
  }
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

void Server::Serve() {
  // Every family declared, and the project's counters at 0, before the first scrape.
  if (auto desired = impl_->fleet.Desired(); desired.ok()) {
    Status registered = RegisterFleetMetrics(impl_->metrics, (*desired)->project);
    if (!registered.ok()) spdlog::error("metrics: {}", registered.message());
  }
  if (impl_->options.drift_loop) impl_->loop.Start();
  if (!impl_->http.listen_after_bind()) spdlog::error("the HTTP server stopped listening");
  // Shutdown() (from another thread) closed the socket: return only once it has finished
  // the check and the applies too, so that the caller may destroy the server.
  Shutdown();
}

void Server::Shutdown() {
  Impl& i = *impl_;
  if (i.stopped.exchange(true)) {
    MutexLock lock(i.shutdown_mu);
    lock.Wait(i.shutdown_cv, [&]() REQUIRES(i.shutdown_mu) { return i.shut_down; });
    return;
  }
  i.http.stop();
  i.loop.Stop();  // lets a running check finish; releases its lock
  i.jobs.Stop();  // running applies start nothing new
  i.jobs.Wait();
  {
    MutexLock lock(i.shutdown_mu);
    i.shut_down = true;
  }
  i.shutdown_cv.notify_all();
}

}  // namespace jlrec::serve
