// `jlrec serve` on the lab, through the jlrec binary: every route's status and JSON shape as
// docs/api.md documents it, the token rule, an apply of the plan shown, a stale plan's 409,
// a stopped container drifted and a stopped host unknown on the next drift loop, no secret
// value in any answer, one log line per request, and a clean SIGTERM.
#include <httplib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/finally.h"
#include "support/lab_project.h"
#include "support/subprocess.h"
#include "support/web_browser.h"

using namespace jlrec::testing;
using nlohmann::json;

namespace {

constexpr const char* kToken = "lab-token-0123456789abcdef";
constexpr const char* kSecret = "s3cr3t-value";  // LabProject's DB_PASSWORD

// A running `jlrec serve` and a client for it; every body it answers is kept.
struct ServeProcess {
  ServeProcess(const LabProject& p, const std::vector<std::string>& extra)
      : port(FreeLoopbackPort()) {
    log = p.dir() + "/serve.log";
    std::vector<std::string> args = {"serve", "-m", p.manifest(), "--listen",
                                     "127.0.0.1:" + std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    pid = StartJlrec(args, {}, log);
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
    client->set_connection_timeout(2, 0);
    client->set_read_timeout(60, 0);
    for (int i = 0; i < 100; ++i) {  // up within 10 s
      if (auto res = client->Get("/api/v1/groups"); res && res->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("jlrec serve did not come up:\n" << Log());
  }
  ~ServeProcess() {
    if (pid > 0) StopProcessGroup(pid, 20000);
  }
  std::string Log() const {
    std::ifstream in(log);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::pair<int, json> Get(const std::string& path) {
    auto res = client->Get(path.c_str());
    REQUIRE(res);
    bodies += res->body;
    return {res->status, json::parse(res->body, nullptr, false)};
  }
  std::pair<int, json> Post(const std::string& path, const json& body, bool with_token) {
    httplib::Headers headers;
    if (with_token) headers.emplace("Authorization", std::string("Bearer ") + kToken);
    auto res = client->Post(path.c_str(), headers, body.dump(), "application/json");
    REQUIRE(res);
    bodies += res->body;
    return {res->status, json::parse(res->body, nullptr, false)};
  }
  // The group's container `ref` once `ready` holds for it (bounded: `seconds`).
  json WaitForContainer(const std::string& group, const std::string& ref,
                        const std::function<bool(const json&)>& ready, int seconds) {
    json last;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      auto [status, doc] = Get("/api/v1/groups/" + group);
      REQUIRE(status == 200);
      for (const auto& c : doc["containers"])
        if (c["ref"] == ref) last = c;
      if (!last.is_null() && ready(last)) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return last;
  }
  int port;
  int pid = 0;
  std::string log;
  std::unique_ptr<httplib::Client> client;
  std::string bodies;
};

// Every key docs/api.md gives a container of GET /api/v1/groups/{group}, with its type.
void CheckContainerShape(const json& c) {
  INFO(c.dump());
  CHECK(c["ref"].is_string());
  CHECK(c["host"].is_string());
  CHECK(c["name"].is_string());
  CHECK(c["core"].is_boolean());
  CHECK(c["status"].is_string());
  CHECK((c["state"].is_string() || c["state"].is_null()));
  CHECK((c["health"].is_string() || c["health"].is_null()));
  CHECK(c["image"].is_string());
  CHECK((c["image_digest"].is_string() || c["image_digest"].is_null()));
  CHECK((c["script_digest"].is_string() || c["script_digest"].is_null()));
  CHECK((c["drift_class"].is_string() || c["drift_class"].is_null()));
  CHECK(c.contains("reason"));
  CHECK((c["planned_action"].is_string() || c["planned_action"].is_null()));
  CHECK(c.contains("observed_at"));
  CHECK((c["last_change"].is_object() || c["last_change"].is_null()));
  CHECK((c["env"].is_object() || c["env"].is_null()));
}

}  // namespace

TEST_CASE("serve on the lab answers every route, applies only the plan shown, and keeps secrets",
          "[lab][serve]") {
  LabProject p("e2eserve");
  p.Write({LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""},
           LabUnit{3, {"w3"}, {"product"}, false, ""}, LabUnit{3, {"t1"}, {"test"}, true, ""}});
  auto applied = p.Jlrec({"apply", "--all", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  const std::string token_file = p.dir() + "/token";
  std::ofstream(token_file) << kToken << "\n";
  REQUIRE(chmod(token_file.c_str(), 0600) == 0);

  ServeProcess s(p, {"--interval", "1s", "--timeout", "15", "--token-file", token_file,
                     "--connect-timeout", "3"});
  INFO(s.Log());

  // Groups: every container counted, the drift loop's first check shown.
  json groups;
  for (int i = 0; i < 60; ++i) {
    groups = s.Get("/api/v1/groups").second;
    if (!groups["drift_loop"]["last_check"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  CHECK(groups["kind"] == "groups");
  CHECK(groups["project"] == p.project());
  REQUIRE(groups["groups"].size() == 2);
  CHECK(groups["groups"][0]["name"] == "product");
  CHECK(groups["groups"][0]["counts"]["in_sync"] == 3);
  CHECK(groups["groups"][1]["counts"]["in_sync"] == 1);
  CHECK(groups["drift_loop"]["last_check"]["result"] == "in_sync");
  CHECK(groups["recent_runs"].size() >= 1);

  auto [gs, group] = s.Get("/api/v1/groups/product");
  REQUIRE(gs == 200);
  REQUIRE(group["containers"].size() == 3);
  for (const auto& c : group["containers"]) CheckContainerShape(c);
  CHECK(group["containers"][0]["ref"] == "lab1/" + p.Name("core"));
  CHECK(group["containers"][0]["core"] == true);
  CHECK(group["containers"][0]["env"]["DB_PASSWORD"] == "(sensitive)");
  CHECK(group["containers"][0]["last_change"]["action"] == "create");
  CHECK(s.Get("/api/v1/groups/prod").first == 404);

  // The token rule.
  auto [nothing_status, nothing_plan] = s.Get("/api/v1/plan?groups=product");
  REQUIRE(nothing_status == 200);
  CHECK(nothing_plan["actions"].empty());
  json ask = {{"groups", {"product"}}, {"plan_fingerprint", nothing_plan["plan_fingerprint"]}};
  CHECK(s.Post("/api/v1/apply", ask, false).first == 401);
  auto [nothing, nothing_doc] = s.Post("/api/v1/apply", ask, true);
  CHECK(nothing == 200);
  CHECK(nothing_doc["kind"] == "apply-nothing");

  // A stopped container reads drifted at the next loop, without anyone refreshing.
  const std::string w1 = "lab2/" + p.Name("w1");
  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);
  json c = s.WaitForContainer(
      "product", w1, [](const json& x) { return x["status"] == "drifted"; }, 20);
  CHECK(c["status"] == "drifted");
  CHECK(c["drift_class"] == "stopped");
  CHECK(c["planned_action"] == "start");

  // The plan shown is applied, followed through its journal run.
  auto [ps, plan] = s.Get("/api/v1/plan?groups=product");
  REQUIRE(ps == 200);
  REQUIRE(plan["actions"].size() == 1);
  auto [started_status, started] =
      s.Post("/api/v1/apply",
             {{"groups", {"product"}}, {"plan_fingerprint", plan["plan_fingerprint"]}}, true);
  INFO(started.dump());
  REQUIRE(started_status == 202);
  const auto run_id = started["run_id"].get<std::int64_t>();
  json run;
  for (int i = 0; i < 120; ++i) {
    run = s.Get("/api/v1/runs/" + std::to_string(run_id)).second;
    if (!run["run"]["finished_at"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  CHECK(run["run"]["result"] == "ok");
  CHECK(run["run"]["owner"].get<std::string>().rfind("api:api@", 0) == 0);
  REQUIRE(run["actions"].size() == 1);
  CHECK(run["actions"][0]["action"] == "start");
  CHECK(run["actions"][0]["result"] == "succeeded");
  CHECK(p.Inspect(2, "w1", "{{.State.Status}}") == "running");
  auto [rs, runs] = s.Get("/api/v1/runs?limit=10&kind=apply");
  REQUIRE(rs == 200);
  CHECK(runs["runs"][0]["id"] == run_id);

  // A plan that changed since it was shown: 409, saying how.
  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);
  c = s.WaitForContainer(
      "product", w1, [](const json& x) { return x["planned_action"] == "start"; }, 20);
  auto [ps2, plan2] = s.Get("/api/v1/plan?groups=product");
  REQUIRE(LabDocker(2, {"rm", "-f", p.Name("w1")}).exit_code == 0);
  auto [stale_status, stale] =
      s.Post("/api/v1/apply",
             {{"groups", {"product"}}, {"plan_fingerprint", plan2["plan_fingerprint"]}}, true);
  CHECK(stale_status == 409);
  CHECK(stale["error"]["code"] == "stale_plan");
  CHECK(stale["error"]["message"].get<std::string>().find(w1 + ": now `+ create") !=
        std::string::npos);

  // A host stopped between two loops: its containers unknown at the next one.
  REQUIRE(LabCommand({"stop-host", "3"}).exit_code == 0);
  Finally restart([] { LabCommand({"start-host", "3"}); });
  const std::string w3 = "lab3/" + p.Name("w3");
  c = s.WaitForContainer(
      "product", w3, [](const json& x) { return x["status"] == "unknown"; }, 40);
  CHECK(c["status"] == "unknown");
  CHECK(c["state"].is_null());
  auto [ds, drift] = s.Get("/api/v1/drift?limit=3");
  REQUIRE(ds == 200);
  CHECK(drift["checks"][0]["result"] == "error");

  // Metrics, the page, and no secret anywhere.
  auto metrics = s.client->Get("/metrics");
  REQUIRE(metrics);
  s.bodies += metrics->body;
  CHECK(metrics->body.find("jlrec_containers{") != std::string::npos);
  CHECK(metrics->body.find("status=\"unknown\"") != std::string::npos);
  auto page = s.client->Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(s.bodies.find(kSecret) == std::string::npos);
  CHECK(s.bodies.find(kToken) == std::string::npos);

  // SIGTERM: it finishes what runs and exits 0, its log one line per request and no secret.
  const int pid = s.pid;
  s.pid = 0;
  CHECK(StopProcessGroup(pid, 30000) == 0);
  const std::string log = s.Log();
  CHECK(log.find("GET /api/v1/groups/product 200") != std::string::npos);
  CHECK(log.find("POST /api/v1/apply 409") != std::string::npos);
  CHECK(log.find("jlrec serve: stopped") != std::string::npos);
  CHECK(log.find(kSecret) == std::string::npos);
  CHECK(log.find(kToken) == std::string::npos);
}

TEST_CASE("serve's drift loop gives a hung host one check's timeout, answers meanwhile, goes on",
          "[lab][serve]") {
  LabProject p("e2eservehang");
  p.Write(
      {LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""}});
  auto applied = p.Jlrec({"apply", "--all", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  ServeProcess s(p, {"--interval", "1s", "--timeout", "4", "--request-timeout", "2"});
  INFO(s.Log());

  // lab2's daemon stops answering: the check that meets it ends at its timeout, as an error
  // naming lab2's container unknown, and the server answers while it waits.
  REQUIRE(LabCommand({"pause-docker", "2"}).exit_code == 0);
  Finally resume([] { LabCommand({"resume-docker", "2"}); });
  const auto paused_at = std::chrono::steady_clock::now();
  json hung;
  double slowest_answer = 0;
  while (std::chrono::steady_clock::now() - paused_at < std::chrono::seconds(30)) {
    const auto t0 = std::chrono::steady_clock::now();
    auto [status, group] = s.Get("/api/v1/groups/product");
    slowest_answer =
        std::max(slowest_answer,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    REQUIRE(status == 200);
    for (const auto& c : group["containers"])
      if (c["host"] == "lab2" && c["status"] == "unknown") hung = c;
    if (!hung.is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - paused_at).count();
  REQUIRE(!hung.is_null());
  UNSCOPED_INFO("hung host shown unknown after " << seconds << " s; slowest answer meanwhile "
                                                 << slowest_answer << " s");
  CHECK(seconds < 4 + 1 + 6);  // at most the check under way, then one check's timeout
  CHECK(slowest_answer < 1.0);
  auto [ds, drift] = s.Get("/api/v1/drift?limit=1");
  CHECK(drift["checks"][0]["result"] == "error");

  // Once it answers again, the next check finds the fleet in sync.
  LabCommand({"resume-docker", "2"});
  json back = s.WaitForContainer(
      "product", "lab2/" + p.Name("w1"), [](const json& c) { return c["status"] == "in_sync"; },
      30);
  CHECK(back["status"] == "in_sync");
}
