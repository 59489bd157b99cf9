// `jlrec serve`'s HTTP server against the fake provider and a real state file: every route's
// status codes and JSON shapes, the token rule, stale plans, the lock, the drift loop, and
// that no secret value reaches any answer. (tests/lab/serve_api_lab_test.cpp does the same
// against the lab's real hosts through the jlrec binary.)
#include <httplib.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/reconciler.h"
#include "engine/scoped_lock.h"
#include "model/digest.h"
#include "serve/drift_loop.h"
#include "serve/server.h"
#include "state/sqlite_state_store.h"
#include "support/fake_provider.h"

namespace jlrec::serve {
namespace {

constexpr const char* kImage = "127.0.0.1:5000/app:1";
constexpr const char* kSecret = "hunter2-never-shown";
constexpr const char* kToken = "0123456789abcdef-token";

DesiredContainer Want(const std::string& host, const std::string& name, bool core) {
  DesiredContainer c;
  c.host = host;
  c.name = name;
  c.groups = {"product"};
  c.core = core;
  c.spec.image = kImage;
  c.spec.command = {"/bin/sh", "/run.sh"};
  c.spec.network_mode = "host";
  c.env = {{"RUNTIME_MODE", "dev_new"}, {"DB_PASSWORD", kSecret}};
  c.secret_env = {"DB_PASSWORD"};
  c.script = "#!/bin/sh\nexport RUNTIME_MODE='dev_new'\nexport DB_PASSWORD='" +
             std::string(kSecret) + "'\nexec sleep 3600\n";
  c.script_digest = ScriptDigest("", c.script);
  c.spec_digest = SpecDigest(c.spec);
  return c;
}

DesiredState Manifest() {
  DesiredState d;
  d.project = "jl";
  d.manifest_digest = "m1";
  for (const char* h : {"h1", "h2"}) d.hosts[h] = HostConnection{h, h, 22, "root", "", "", ""};
  d.groups["product"].name = "product";
  d.containers = {Want("h1", "core", true), Want("h2", "worker", false)};
  return d;
}

// Settings without the drift loop: tests that do not test it drive the state themselves.
ServeOptions NoLoop() {
  ServeOptions o;
  o.drift_loop = false;
  return o;
}

// A state file in a temp dir, fake hosts with the image, and a server over them.
struct Served {
  explicit Served(ServeOptions options = NoLoop()) {
    spdlog::set_level(spdlog::level::warn);  // the server's request lines
    char tmpl[] = "/tmp/jlrec-serve-XXXXXX";
    dir = mkdtemp(tmpl);
    factory = std::make_shared<FakeProviderFactory>();
    const std::string digest = "sha256:" + Sha256Hex("content 1");
    for (const char* h : {"h1", "h2"}) {
      factory->Host(h).AddImage(kImage);
      factory->Host(h).SetRegistryDigest(kImage, digest);
      factory->Host(h).SetLocalImageDigests(kImage, {"127.0.0.1:5000/app@" + digest});
    }
    ProjectAccess access;
    auto extra = extra_container;
    access.load_manifest = [extra] {
      DesiredState d = Manifest();
      if (*extra) {  // the operator added a unit
        d.containers.push_back(Want("h2", "added", false));
        d.manifest_digest = "m2";
      }
      return Result<DesiredState>(std::move(d));
    };
    const std::string path = dir + "/state.db";
    access.open_store = [path]() -> Result<std::unique_ptr<StateStore>> {
      auto store = OpenSqliteStateStore(path);
      if (!store.ok()) return store.status();
      return std::unique_ptr<StateStore>(std::move(*store));
    };
    auto f = factory;
    access.make_reconciler = [f](const DesiredState&, StateStore& store) {
      RefreshOptions o;
      o.parallelism = 2;
      return std::make_unique<Reconciler>(f, store, o);
    };
    access.owner = LockOwner{"tester@here", getpid(), "here"};
    open_store = access.open_store;
    options.listen_port = 0;
    server = std::make_unique<Server>(std::move(access), options);
    REQUIRE(server->Bind().ok());
    thread = std::thread([this] { server->Serve(); });
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    client->set_read_timeout(20, 0);
  }
  ~Served() {
    server->Shutdown();
    thread.join();
    server.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // The answer's status and body as JSON (null when not JSON).
  std::pair<int, nlohmann::json> Get(const std::string& path) {
    auto res = client->Get(path.c_str());
    REQUIRE(res);
    bodies += res->body;
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }
  std::pair<int, nlohmann::json> Post(const std::string& path, const nlohmann::json& body,
                                      const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto res = client->Post(path.c_str(), headers, body.dump(), "application/json");
    REQUIRE(res);
    bodies += res->body;
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }
  // Applies the manifest straight through the engine (as a CLI apply would).
  void ApplyDirectly() {
    auto store = open_store();
    REQUIRE(store.ok());
    RefreshOptions o;
    Reconciler r(factory, **store, o);
    DesiredState d = Manifest();
    auto run = r.MakePlan(d, PlanRequest{{"product"}, {}, true, false, false});
    REQUIRE(run.ok());
    ApplyRequest request;
    request.owner = "cli@here";
    request.options.poll_interval = std::chrono::milliseconds(1);
    REQUIRE(r.Apply(run->plan, d, run->providers(), &run->live(), request, nullptr).complete);
  }
  // Polls run `id` until it has finished (bounded).
  nlohmann::json WaitForRun(std::int64_t id) {
    for (int i = 0; i < 200; ++i) {
      auto [status, doc] = Get("/api/v1/runs/" + std::to_string(id));
      REQUIRE(status == 200);
      if (!doc["run"]["finished_at"].is_null()) return doc;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("run " << id << " did not finish");
    return nullptr;
  }
  std::string dir;
  /// Set: the manifest gains container h2/added (an operator's edit).
  std::shared_ptr<std::atomic<bool>> extra_container = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<FakeProviderFactory> factory;
  std::function<Result<std::unique_ptr<StateStore>>()> open_store;
  std::unique_ptr<Server> server;
  std::thread thread;
  std::unique_ptr<httplib::Client> client;
  std::string bodies;  // every body answered, to search for secrets
};

// A drift loop every 100 ms, and a view built anew for every request: tests of the loop.
ServeOptions FastLoop() {
  ServeOptions o;
  o.drift_loop = true;
  o.interval = std::chrono::milliseconds(100);
  o.view_ttl = std::chrono::milliseconds(0);
  return o;
}

ServeOptions WithToken() {
  ServeOptions o = NoLoop();
  o.token = kToken;
  return o;
}

}  // namespace

TEST_CASE("serve: groups and a group answer every container with its status from the cache",
          "[serve]") {
  Served s;
  s.ApplyDirectly();
  auto [status, groups] = s.Get("/api/v1/groups");
  REQUIRE(status == 200);
  CHECK(groups["kind"] == "groups");
  CHECK(groups["format_version"] == 1);
  CHECK(groups["project"] == "jl");
  REQUIRE(groups["groups"].size() == 1);
  CHECK(groups["groups"][0]["name"] == "product");
  CHECK(groups["groups"][0]["counts"]["in_sync"] == 2);
  CHECK(groups["groups"][0]["status"] == "in_sync");
  CHECK(groups["drift_loop"]["state"].is_string());
  CHECK(groups["recent_runs"].size() == 1);

  auto [gstatus, group] = s.Get("/api/v1/groups/product");
  REQUIRE(gstatus == 200);
  CHECK(group["kind"] == "group");
  REQUIRE(group["containers"].size() == 2);
  CHECK(group["containers"][0]["ref"] == "h1/core");  // the core first
  CHECK(group["containers"][0]["core"] == true);
  CHECK(group["containers"][0]["status"] == "in_sync");
  CHECK(group["containers"][0]["state"] == "running");
  CHECK(group["containers"][0]["env"]["DB_PASSWORD"] == "(sensitive)");
  CHECK(s.bodies.find(kSecret) == std::string::npos);
}

TEST_CASE("serve: unknown routes, groups and runs answer a JSON 404, wrong methods a 405",
          "[serve]") {
  Served s;
  auto [s1, route] = s.Get("/api/v1/nothing");
  CHECK(s1 == 404);
  CHECK(route["error"]["code"] == "not_found");
  auto [s2, group] = s.Get("/api/v1/groups/prodcut");
  CHECK(s2 == 404);
  CHECK(group["kind"] == "error");
  CHECK(group["error"]["message"].get<std::string>().find("product") != std::string::npos);
  auto [s3, run] = s.Get("/api/v1/runs/999");
  CHECK(s3 == 404);
  auto [s4, word] = s.Get("/api/v1/runs/abc");
  CHECK(s4 == 404);
  auto [s5, method] = s.Get("/api/v1/apply");
  CHECK(s5 == 405);
  CHECK(method["error"]["code"] == "method_not_allowed");
  auto [s6, limit] = s.Get("/api/v1/runs?limit=-3");
  CHECK(s6 == 400);
  CHECK(limit["error"]["code"] == "bad_request");
  auto [s7, plan] = s.Get("/api/v1/plan?groups=nope");
  CHECK(s7 == 404);
  auto [s8, target] = s.Get("/api/v1/plan?groups=product&target=h9/x");
  CHECK(s8 == 404);
}

TEST_CASE("serve: a server without a token file answers applies 403, a wrong token 401",
          "[serve]") {
  {
    Served s;
    auto [status, doc] = s.Post("/api/v1/apply", {{"plan_fingerprint", "x"}}, kToken);
    CHECK(status == 403);
    CHECK(doc["error"]["code"] == "read_only");
  }
  Served s(WithToken());
  auto [none, d1] = s.Post("/api/v1/apply", {{"plan_fingerprint", "x"}});
  CHECK(none == 401);
  CHECK(d1["error"]["code"] == "unauthorized");
  auto [wrong, d2] = s.Post("/api/v1/apply", {{"plan_fingerprint", "x"}}, "not-the-token-at-all");
  CHECK(wrong == 401);
  auto [bad, d3] = s.Post("/api/v1/apply", {{"groups", "product"}}, kToken);
  CHECK(bad == 400);
  CHECK(s.bodies.find(kToken) == std::string::npos);
}

TEST_CASE("serve: an apply of the plan shown runs, is journalled with who asked, and polls",
          "[serve]") {
  Served s(WithToken());
  auto [pstatus, plan] = s.Get("/api/v1/plan?groups=product");
  REQUIRE(pstatus == 200);
  CHECK(plan["kind"] == "plan");
  const std::string fp = plan["plan_fingerprint"];
  CHECK(fp.rfind("hmac-sha256:", 0) == 0);
  // Never refreshed: the cache knows nothing, so the plan from it cannot be applied.
  auto [unknown, refused] =
      s.Post("/api/v1/apply", {{"groups", {"product"}}, {"plan_fingerprint", fp}}, kToken);
  CHECK(unknown == 409);

  auto [rstatus, refreshed] = s.Post("/api/v1/refresh", nlohmann::json::object());
  REQUIRE(rstatus == 200);
  CHECK(refreshed["hosts"].size() == 2);
  auto [p2, plan2] = s.Get("/api/v1/plan?groups=product");
  REQUIRE(p2 == 200);
  httplib::Headers headers{{"Authorization", std::string("Bearer ") + kToken},
                           {"X-Jlrec-User", "ops-web"}};
  nlohmann::json ask = {{"groups", {"product"}}, {"plan_fingerprint", plan2["plan_fingerprint"]}};
  auto res = s.client->Post("/api/v1/apply", headers, ask.dump(), "application/json");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 202);
  auto started = nlohmann::json::parse(res->body);
  CHECK(started["kind"] == "apply-started");
  CHECK(started["actions"] == 2);
  nlohmann::json run = s.WaitForRun(started["run_id"]);
  CHECK(run["run"]["result"] == "ok");
  CHECK(run["run"]["owner"].get<std::string>().rfind("api:ops-web@", 0) == 0);
  CHECK(run["actions"].size() == 2);
  auto [g, group] = s.Get("/api/v1/groups/product");
  CHECK(group["counts"]["in_sync"] == 2);
}

TEST_CASE("serve: an apply of a plan that changed since it was shown answers 409 stale_plan",
          "[serve]") {
  Served s(WithToken());
  REQUIRE(s.Post("/api/v1/refresh", nlohmann::json::object()).first == 200);
  auto [p, plan] = s.Get("/api/v1/plan?groups=product");
  REQUIRE(p == 200);
  s.ApplyDirectly();  // someone else applied meanwhile
  auto [status, doc] =
      s.Post("/api/v1/apply",
             {{"groups", {"product"}}, {"plan_fingerprint", plan["plan_fingerprint"]}}, kToken);
  CHECK(status == 409);
  CHECK(doc["error"]["code"] == "stale_plan");
  const std::string message = doc["error"]["message"];
  CHECK(message.find("h1/core: no longer planned") != std::string::npos);
  auto [unknown, doc2] = s.Post(
      "/api/v1/apply", {{"groups", {"product"}}, {"plan_fingerprint", "hmac-sha256:00"}}, kToken);
  CHECK(unknown == 409);
  CHECK(doc2["error"]["message"].get<std::string>().find("not one of a plan") != std::string::npos);
}

TEST_CASE("serve: an apply while another holds the lock answers 409 locked naming the holder",
          "[serve]") {
  Served s(WithToken());
  REQUIRE(s.Post("/api/v1/refresh", nlohmann::json::object()).first == 200);
  auto [p, plan] = s.Get("/api/v1/plan");
  auto store = s.open_store();
  REQUIRE(store.ok());
  ScopedLock held;
  REQUIRE(held.Acquire(**store, "apply:jl", 0, LockOwner{"alice@ops2", getpid(), "ops2"}).ok());
  auto [status, doc] =
      s.Post("/api/v1/apply", {{"plan_fingerprint", plan["plan_fingerprint"]}}, kToken);
  CHECK(status == 409);
  CHECK(doc["error"]["code"] == "locked");
  CHECK(doc["error"]["message"].get<std::string>().find("alice@ops2") != std::string::npos);
}

TEST_CASE("serve: the drift loop records checks, shows a stopped container drifted, and counts",
          "[serve]") {
  Served s(FastLoop());
  s.ApplyDirectly();
  REQUIRE(s.factory->Host("h2").ExitProcess("worker", 137));
  nlohmann::json worker;
  // Until the stop shows: the loop's first check may have read h2 before the apply created
  // the worker, and shows it missing until the loop looks again.
  for (int i = 0; i < 100; ++i) {
    auto [status, group] = s.Get("/api/v1/groups/product");
    REQUIRE(status == 200);
    worker = group["containers"][1];
    if (worker["status"] == "drifted" && worker["drift_class"] == "stopped") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(worker["status"] == "drifted");
  CHECK(worker["drift_class"] == "stopped");
  auto [d, history] = s.Get("/api/v1/drift?limit=5");
  REQUIRE(d == 200);
  CHECK(history["kind"] == "drift-history");
  REQUIRE(!history["checks"].empty());
  CHECK(history["checks"][0]["result"] == "drift");
  auto metrics = s.client->Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->get_header_value("Content-Type").find("text/plain") == 0);
  CHECK(metrics->body.find("jlrec_containers{") != std::string::npos);
  CHECK(metrics->body.find("status=\"drifted\"") != std::string::npos);
  auto page = s.client->Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->body.find("<html") != std::string::npos);
  CHECK(s.bodies.find(kSecret) == std::string::npos);
}

TEST_CASE("serve: a drift check during which an apply ran is not recorded, and the next one is",
          "[serve]") {
  Served s;  // no loop of its own: the turns run here
  s.ApplyDirectly();
  ProjectAccess access;
  access.load_manifest = [] { return Result<DesiredState>(Manifest()); };
  access.open_store = s.open_store;
  auto f = s.factory;
  int reconcilers = 0;
  // An apply that begins and ends between the check's reading of the lock and the journal and
  // its refresh's end: the lock is free at both of the check's readings of it.
  access.make_reconciler = [f, &reconcilers](const DesiredState&, StateStore& store) {
    if (reconcilers++ == 0) {
      RunRecord run;
      run.kind = "apply";
      run.project = "jl";
      run.groups = {"product"};
      run.started_at = std::time(nullptr);
      run.result = "running";
      auto id = store.BeginRun(run);
      REQUIRE(id.ok());
      REQUIRE(store.FinishRun(*id, "ok", "").ok());
    }
    return std::make_unique<Reconciler>(f, store, RefreshOptions{});
  };
  access.owner = LockOwner{"tester@here", getpid(), "here"};
  ServeOptions options = NoLoop();
  DriftLoop loop(access, options, nullptr);
  DriftTurn during = loop.RunOnce();
  CHECK(during.kind == DriftTurn::Kind::kWaiting);
  CHECK(during.note.find("an apply ran during the check, which was not recorded") !=
        std::string::npos);
  auto [d, history] = s.Get("/api/v1/drift?limit=5");
  REQUIRE(d == 200);
  CHECK(history["checks"].empty());
  DriftTurn after = loop.RunOnce();
  CHECK(after.kind == DriftTurn::Kind::kChecked);
  auto [d2, history2] = s.Get("/api/v1/drift?limit=5");
  REQUIRE(d2 == 200);
  CHECK(history2["checks"].size() == 1);
}

TEST_CASE("serve: an edited manifest shows from the next drift check on", "[serve]") {
  Served s(FastLoop());
  s.ApplyDirectly();
  auto [before_status, before] = s.Get("/api/v1/groups/product");
  REQUIRE(before_status == 200);
  CHECK(before["containers"].size() == 2);
  *s.extra_container = true;
  nlohmann::json added;
  for (int i = 0; i < 100 && added.is_null(); ++i) {
    auto [status, group] = s.Get("/api/v1/groups/product");
    for (const auto& c : group["containers"])
      if (c["ref"] == "h2/added") added = c;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(!added.is_null());
  CHECK(added["status"] == "drifted");
  CHECK(added["drift_class"] == "missing");
}

TEST_CASE("serve: only loopback addresses are loopback", "[serve]") {
  CHECK(IsLoopbackHost("127.0.0.1"));
  CHECK(IsLoopbackHost("127.3.4.5"));
  CHECK(IsLoopbackHost("::1"));
  CHECK(IsLoopbackHost("localhost"));
  CHECK_FALSE(IsLoopbackHost("0.0.0.0"));
  CHECK_FALSE(IsLoopbackHost("::"));
  CHECK_FALSE(IsLoopbackHost("10.0.0.1"));
  CHECK_FALSE(IsLoopbackHost("128.0.0.1"));
}

}  // namespace jlrec::serve
