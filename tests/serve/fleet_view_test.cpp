// The groups, group, runs, run and drift documents of the API (docs/api.md), made from what
// the real pipeline leaves in a real state file: the fake provider's hosts, applied and
// refreshed through the Reconciler, planned from the state cache as `jlrec serve` plans.
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>

#include "engine/reconciler.h"
#include "model/digest.h"
#include "serve/api_document.h"
#include "serve/api_error.h"
#include "serve/fleet_view.h"
#include "serve/journal_json.h"
#include "serve/last_change.h"
#include "support/pipeline_world.h"

namespace jlrec::serve {
namespace {

using nlohmann::json;

constexpr const char* kRepo = "127.0.0.1:5000/app";
constexpr const char* kSecret = "s3cret-Pa55-never-shown";
constexpr const char* kHosts[] = {"lab1", "lab2", "lab3"};

std::string Image() { return std::string(kRepo) + ":1"; }

DesiredContainer Want(const std::string& host, const std::string& name,
                      std::vector<std::string> groups, bool core, const std::string& secret) {
  DesiredContainer c;
  c.host = host;
  c.name = name;
  c.groups = std::move(groups);
  c.core = core;
  c.spec.image = Image();
  c.spec.command = {"/bin/sh", "/run.sh"};
  c.spec.network_mode = "host";
  c.env = {{"RUNTIME_MODE", "prod"}, {"DB_PASSWORD", secret}};
  c.secret_env = {"DB_PASSWORD"};
  c.script = "#!/bin/sh\nexport DB_PASSWORD='" + secret +
             "'\nexport RUNTIME_MODE='prod'\nexec sleep 3600  # " + name + "\n";
  c.script_digest = ScriptDigest("", c.script);
  c.spec_digest = SpecDigest(c.spec);
  return c;
}

// Project "jiliang": group product (a core on lab1, workers on lab2 and lab3) and group search
// (one container of its own on lab2), lab3/shared in both.
DesiredState Manifest(const std::string& secret = kSecret) {
  DesiredState d;
  d.project = "jiliang";
  d.manifest_digest = "sha256:" + Sha256Hex("manifest with " + secret);
  for (const char* h : kHosts) d.hosts[h] = HostConnection{h, h, 22, "root", "", "", ""};
  for (const char* g : {"product", "search"}) d.groups[g].name = g;
  d.containers = {Want("lab2", "product-worker", {"product"}, false, secret),
                  Want("lab1", "product-master", {"product"}, true, secret),
                  Want("lab3", "product-worker", {"product"}, false, secret),
                  Want("lab3", "shared", {"product", "search"}, false, secret),
                  Want("lab2", "search", {"search"}, false, secret)};
  return d;
}

std::int64_t Now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The fake hosts with the image, and the pipeline over them, planning every group.
struct World : PipelineWorld {
  World() : PipelineWorld(3) {
    for (const char* h : kHosts) SeedImage(h, kRepo, "1");
  }
  PlannedRun Plan(const DesiredState& d, bool refresh) {
    std::vector<std::string> groups;
    for (const auto& [name, settings] : d.groups) groups.push_back(name);
    return PipelineWorld::Plan(d, groups, refresh);
  }
  ApplyReport Apply(const DesiredState& d) {
    PlannedRun run = Plan(d, /*refresh=*/true);
    return PipelineWorld::Apply(d, run);
  }
  // Applies `d`, stops `host`/`name` by hand, refreshes every host into the cache and plans
  // from it: how the server sees a container stopped since the last apply.
  PlannedRun ApplyThenStop(const DesiredState& d, const std::string& host,
                           const std::string& name) {
    REQUIRE(Apply(d).complete);
    REQUIRE(factory->Host(host).StopContainer(name, std::chrono::seconds(1)).ok());
    Refresh(d);
    return Plan(d, /*refresh=*/false);
  }
  void Refresh(const DesiredState& d) {
    reconciler->Refresh(d, std::vector<std::string>(std::begin(kHosts), std::end(kHosts)));
  }
  FleetSnapshot View(const DesiredState& d, const PlannedRun& run) {
    FleetSnapshot s;
    s.desired = &d;
    s.planned = &run;
    auto changes = LastChangesOf(*store, d.project);
    REQUIRE(changes.ok());
    s.last_changes = std::move(*changes);
    s.now = Now();
    return s;
  }
  json Group(const FleetSnapshot& s, const std::string& group) {
    auto doc = GroupToJson(s, group);
    INFO(doc.status().ToString());
    REQUIRE(doc.ok());
    return std::move(*doc);
  }
};

// The container `ref` of a group document.
json ContainerOf(const json& group, const std::string& ref) {
  for (const json& c : group.at("containers"))
    if (c.at("ref") == ref) return c;
  FAIL("no container " << ref << " in " << group.dump());
  return nullptr;
}

// The group `name` of a groups document.
json GroupIn(const json& groups, const std::string& name) {
  for (const json& g : groups.at("groups"))
    if (g.at("name") == name) return g;
  FAIL("no group " << name << " in " << groups.dump());
  return nullptr;
}

json Counts(int in_sync, int drifted, int failed, int unknown) {
  return {{"in_sync", in_sync}, {"drifted", drifted}, {"failed", failed}, {"unknown", unknown}};
}

// Checks what a container's entry says of how it differs: its status, the state its host
// showed, its drift class and what apply would do (null: none).
void CheckFinding(const json& c, const std::string& status, const json& state,
                  const json& drift_class, const json& planned_action) {
  CAPTURE(c.dump());
  CHECK(c.at("status") == status);
  CHECK(c.at("state") == state);
  CHECK(c.at("drift_class") == drift_class);
  CHECK(c.at("planned_action") == planned_action);
}

std::vector<std::string> Refs(const json& group) {
  std::vector<std::string> refs;
  for (const json& c : group.at("containers")) refs.push_back(c.at("ref"));
  return refs;
}

}  // namespace

TEST_CASE("a fleet in sync shows every container of a group in sync with what it runs, core first",
          "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  ApplyReport applied = w.Apply(d);
  REQUIRE(applied.complete);
  PlannedRun cached = w.Plan(d, /*refresh=*/false);
  REQUIRE(cached.from_cache);
  FleetSnapshot s = w.View(d, cached);

  json group = w.Group(s, "product");
  CHECK(group.at("format_version") == 1);
  CHECK(group.at("kind") == "group");
  CHECK(group.at("project") == "jiliang");
  CHECK(group.at("group") == "product");
  CHECK(group.at("status") == "in_sync");
  CHECK(group.at("counts") == Counts(4, 0, 0, 0));
  CHECK(group.at("observed_at").is_string());
  CHECK(group.at("age_seconds").get<std::int64_t>() >= 0);
  CHECK(Refs(group) == std::vector<std::string>{"lab1/product-master", "lab2/product-worker",
                                                "lab3/product-worker", "lab3/shared"});

  const json master = ContainerOf(group, "lab1/product-master");
  const FakeContainer live = *w.factory->Host("lab1").Container("product-master");
  const json expected = {{"ref", "lab1/product-master"},
                         {"host", "lab1"},
                         {"name", "product-master"},
                         {"core", true},
                         {"status", "in_sync"},
                         {"state", "running"},
                         {"health", nullptr},
                         {"image", Image()},
                         // The cache keeps no repo digests: the image id stands for what runs.
                         {"image_digest", live.live.image_id},
                         {"script_digest", d.containers[1].script_digest},
                         {"drift_class", nullptr},
                         {"reason", nullptr},
                         {"planned_action", nullptr},
                         {"observed_at", master.at("observed_at")},
                         {"last_change",
                          {{"at", master.at("last_change").at("at")},
                           {"run_id", applied.run_id},
                           {"action", "create"},
                           {"result", "succeeded"}}},
                         {"env", {{"RUNTIME_MODE", "prod"}, {"DB_PASSWORD", "(sensitive)"}}}};
  CHECK(master == expected);
  CHECK(master.at("observed_at").is_string());
  CHECK(master.at("last_change").at("at").is_string());

  json groups = GroupsToJson(s, {{"state", "idle"}}, {});
  CHECK(groups.at("format_version") == 1);
  CHECK(groups.at("kind") == "groups");
  CHECK(groups.at("project") == "jiliang");
  CHECK(groups.at("generated_at") == TimeToJson(s.now));
  CHECK(groups.at("observed_at").is_string());
  CHECK(groups.at("drift_loop") == json{{"state", "idle"}});
  CHECK(groups.at("recent_runs") == json::array());
  CHECK(GroupIn(groups, "product") == json{{"name", "product"},
                                           {"status", "in_sync"},
                                           {"containers", 4},
                                           {"counts", Counts(4, 0, 0, 0)},
                                           {"core", {"lab1/product-master"}}});
  CHECK(GroupIn(groups, "search").at("core") == json::array());
}

TEST_CASE("a refreshed plan shows the repo digest a container runs", "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  REQUIRE(w.Apply(d).complete);
  PlannedRun refreshed = w.Plan(d, /*refresh=*/true);
  json group = w.Group(w.View(d, refreshed), "search");
  CHECK(ContainerOf(group, "lab2/search").at("image_digest") == "sha256:" + Sha256Hex("content 1"));
}

TEST_CASE("a stopped container is drifted with class stopped and a start planned", "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  PlannedRun cached = w.ApplyThenStop(d, "lab2", "product-worker");
  FleetSnapshot s = w.View(d, cached);

  json group = w.Group(s, "product");
  CHECK(group.at("status") == "drifted");
  CHECK(group.at("counts") == Counts(3, 1, 0, 0));
  const json worker = ContainerOf(group, "lab2/product-worker");
  CheckFinding(worker, "drifted", "exited", "stopped", "start");
  CHECK(worker.at("reason").get<std::string>().find("exited") != std::string::npos);
  CHECK(ContainerOf(group, "lab3/product-worker").at("status") == "in_sync");

  json groups = GroupsToJson(s, json::object(), {});
  CHECK(GroupIn(groups, "product").at("status") == "drifted");
  CHECK(GroupIn(groups, "search").at("status") == "in_sync");
}

TEST_CASE("the containers of a host that could not be read are unknown, with no cached state",
          "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  REQUIRE(w.Apply(d).complete);
  w.factory->SetUnreachable("lab3", "connect to lab3:22: Connection refused");
  w.Refresh(d);
  PlannedRun cached = w.Plan(d, /*refresh=*/false);
  FleetSnapshot s = w.View(d, cached);

  json group = w.Group(s, "product");
  CHECK(group.at("status") == "unknown");
  CHECK(group.at("counts") == Counts(2, 0, 0, 2));
  for (const char* ref : {"lab3/product-worker", "lab3/shared"}) {
    CAPTURE(ref);
    const json c = ContainerOf(group, ref);
    CheckFinding(c, "unknown", nullptr, "unknown", nullptr);
    CHECK(c.at("reason").get<std::string>().find("Connection refused") != std::string::npos);
    for (const char* field : {"health", "image_digest", "script_digest"})
      CHECK(c.at(field).is_null());
    // When the host was last seen: the cached containers are that old, not unknown in age.
    CHECK(c.at("observed_at").is_string());
  }
  CHECK(GroupIn(GroupsToJson(s, json::object(), {}), "search").at("counts") == Counts(1, 0, 0, 1));
}

TEST_CASE("hosts never refreshed leave the observation time and age null", "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  PlannedRun cached = w.Plan(d, /*refresh=*/false);
  FleetSnapshot s = w.View(d, cached);
  json groups = GroupsToJson(s, json::object(), {});
  CHECK(groups.at("observed_at").is_null());
  CHECK(groups.at("age_seconds").is_null());
  CHECK(GroupIn(groups, "search").at("counts") == Counts(0, 0, 0, 2));
  json group = w.Group(s, "search");
  CHECK(group.at("observed_at").is_null());
  CHECK(group.at("age_seconds").is_null());
  const json c = ContainerOf(group, "lab2/search");
  CHECK(c.at("state").is_null());
  CHECK(c.at("observed_at").is_null());
  CHECK(c.at("last_change").is_null());
}

TEST_CASE("a container whose action failed is failed, its last change the failed action",
          "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  w.factory->Host("lab2").FailAlways("CreateContainer", "search",
                                     Status::RemoteError("no space left on device"));
  ApplyReport applied = w.Apply(d);
  REQUIRE_FALSE(applied.complete);
  w.factory->Host("lab2").ClearFailures();
  PlannedRun cached = w.Plan(d, /*refresh=*/false);
  FleetSnapshot s = w.View(d, cached);

  json group = w.Group(s, "search");
  CHECK(group.at("status") == "failed");
  CHECK(group.at("counts") == Counts(1, 0, 1, 0));
  const json c = ContainerOf(group, "lab2/search");
  CheckFinding(c, "failed", "missing", "failed", "create");
  CHECK(c.at("last_change").at("run_id") == applied.run_id);
  CHECK(c.at("last_change").at("action") == "create");
  CHECK(c.at("last_change").at("result") == "failed");
  CHECK(GroupIn(GroupsToJson(s, json::object(), {}), "search").at("status") == "failed");
}

TEST_CASE("the last change is the newest action on each container across runs", "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  ApplyReport first = w.Apply(d);
  REQUIRE(first.complete);
  REQUIRE(w.factory->Host("lab2").StopContainer("search", std::chrono::seconds(1)).ok());
  ApplyReport second = w.Apply(d);
  REQUIRE(second.complete);

  auto changes = LastChangesOf(*w.store, "jiliang");
  REQUIRE(changes.ok());
  CHECK(changes->size() == 5);
  CHECK(changes->at("lab2/search").run_id == second.run_id);
  CHECK(changes->at("lab2/search").action == "start");
  CHECK(changes->at("lab1/product-master").run_id == first.run_id);
  CHECK(changes->at("lab1/product-master").action == "create");
  // Another project's runs in the same state file, newer than these, do not hide them.
  for (int i = 0; i < 30; ++i) {
    RunRecord busy;
    busy.kind = "apply";
    busy.project = "busy";
    auto id = w.store->BeginRun(busy);
    REQUIRE(id.ok());
    REQUIRE(w.store->FinishRun(*id, "ok", "").ok());
  }
  auto crowded = LastChangesOf(*w.store, "jiliang");
  REQUIRE(crowded.ok());
  CHECK(crowded->size() == 5);
  // Bounded to the project's newest runs.
  auto newest = LastChangesOf(*w.store, "jiliang", 1);
  REQUIRE(newest.ok());
  CHECK(newest->size() == 1);
  auto other = LastChangesOf(*w.store, "another-project");
  REQUIRE(other.ok());
  CHECK(other->empty());
}

TEST_CASE("an unknown group is not found, with the nearest group suggested", "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  PlannedRun cached = w.Plan(d, /*refresh=*/false);
  FleetSnapshot s = w.View(d, cached);

  auto typo = GroupToJson(s, "prodcut");
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().code() == Status::Code::kNotFound);
  CHECK(typo.status().message() ==
        "no group \"prodcut\" in project jiliang (did you mean \"product\"?)");
  CHECK(HttpStatusOf(ApiErrorOf(typo.status()).code) == 404);

  auto far = GroupToJson(s, "zzz");
  REQUIRE_FALSE(far.ok());
  CHECK(far.status().message() == "no group \"zzz\" in project jiliang");

  // A name from a URL may be anything: the message stays printable JSON.
  auto odd = GroupToJson(s, std::string("a\"b\n\xff", 5));
  REQUIRE_FALSE(odd.ok());
  CHECK_NOTHROW(ApiErrorToJson(ApiErrorOf(odd.status())).dump());
  CHECK(odd.status().message().find('\n') == std::string::npos);
}

TEST_CASE("a container in two groups is listed and counted in each", "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  PlannedRun cached = w.ApplyThenStop(d, "lab3", "shared");
  FleetSnapshot s = w.View(d, cached);

  json product = w.Group(s, "product");
  json search = w.Group(s, "search");
  CHECK(ContainerOf(product, "lab3/shared").at("status") == "drifted");
  CHECK(ContainerOf(search, "lab3/shared").at("status") == "drifted");
  CHECK(Refs(search) == std::vector<std::string>{"lab2/search", "lab3/shared"});
  json groups = GroupsToJson(s, json::object(), {});
  CHECK(GroupIn(groups, "product").at("counts") == Counts(3, 1, 0, 0));
  CHECK(GroupIn(groups, "search").at("counts") == Counts(1, 1, 0, 0));
  CHECK(GroupIn(groups, "product").at("containers") == 4);
  CHECK(GroupIn(groups, "search").at("containers") == 2);
}

TEST_CASE("env is null when the desired state came from the cache without values", "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  REQUIRE(w.Apply(d).complete);
  DesiredState cached_desired = d;
  cached_desired.digests_only = true;
  for (auto& c : cached_desired.containers) {
    c.env.clear();
    c.script.clear();
  }
  PlannedRun cached = w.Plan(cached_desired, /*refresh=*/false);
  json group = w.Group(w.View(cached_desired, cached), "product");
  CHECK(group.at("status") == "in_sync");
  for (const json& c : group.at("containers")) CHECK(c.at("env").is_null());
}

TEST_CASE("no secret value appears in any document, before or after the secret changes",
          "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  REQUIRE(w.Apply(d).complete);
  const std::string new_secret = "n3w-s3cret-Pa55-never-shown";
  DesiredState changed = Manifest(new_secret);
  // Refreshed: the live scripts' env (the old secret) is read, and the plan explains the change.
  PlannedRun refreshed = w.Plan(changed, /*refresh=*/true);
  REQUIRE(refreshed.plan.Count(ActionKind::kUpdate) == 5);
  REQUIRE(w.reconciler->CheckDrift(refreshed.plan, 1700000000).recorded.ok());
  PlannedRun cached = w.Plan(changed, /*refresh=*/false);

  std::vector<json> docs;
  for (const PlannedRun* run : {&refreshed, &cached}) {
    FleetSnapshot s = w.View(changed, *run);
    auto runs = w.store->ListRuns("", "", 0, 0);
    REQUIRE(runs.ok());
    docs.push_back(GroupsToJson(s, json::object(), *runs));
    for (const char* g : {"product", "search"}) docs.push_back(w.Group(s, g));
  }
  REQUIRE(w.Apply(changed).complete);
  auto runs = w.store->ListRuns("", "", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 2);
  docs.push_back(RunsToJson(*runs));
  for (const RunRecord& run : *runs) {
    auto actions = w.store->ListActions(run.id);
    auto release = w.store->ListRelease(run.id);
    REQUIRE(actions.ok());
    REQUIRE(release.ok());
    docs.push_back(RunDetailToJson(run, *actions, *release));
  }
  auto checks = w.store->ListDriftChecks("jiliang", 0, 0);
  REQUIRE(checks.ok());
  docs.push_back(DriftHistoryToJson(*checks));

  std::string all;
  for (const json& doc : docs) all += doc.dump() + "\n";
  CHECK(all.find(kSecret) == std::string::npos);
  CHECK(all.find(new_secret) == std::string::npos);
  CHECK(all.find("(sensitive)") != std::string::npos);
  // The change itself is shown, redacted.
  const json worker = ContainerOf(docs[1], "lab2/product-worker");
  CHECK(worker.at("planned_action") == "update");
  CHECK(worker.at("reason") == "/run.sh differs: environment changed");
}

TEST_CASE("runs, a run and the drift history are documents of their kind with RFC 3339 times",
          "[fleet_view]") {
  RunRecord running;
  running.id = 8;
  running.kind = "apply";
  running.project = "jiliang";
  running.groups = {"product"};
  running.started_at = 1796115845;
  running.result = "running";
  running.owner = "api:ops-web@jlrec-host";
  running.manifest_digest = "sha256:abc";
  running.jlrec_version = "0.1.0";
  const json expected_run = {{"id", 8},
                             {"kind", "apply"},
                             {"groups", {"product"}},
                             {"started_at", "2026-12-01T09:04:05Z"},
                             {"finished_at", nullptr},
                             {"result", "running"},
                             {"detail", ""},
                             {"owner", "api:ops-web@jlrec-host"},
                             {"manifest_digest", "sha256:abc"},
                             {"jlrec_version", "0.1.0"}};
  CHECK(RunToJson(running) == expected_run);
  CHECK(RunsToJson({running}) ==
        json{{"format_version", 1}, {"kind", "runs"}, {"runs", {expected_run}}});

  ActionRecord action;
  action.run_id = 8;
  action.action = "create";
  action.container = "lab1/product-master";
  action.started_at = 1796115845;
  action.finished_at = 1796115849;
  action.result = "succeeded";
  ReleasedContainer released;
  released.host = "lab1";
  released.container = "product-master";
  released.groups = {"product"};
  released.core = true;
  released.action = "create";
  released.outcome = "succeeded";
  released.image = Image();
  released.image_id = "sha256:1d";
  const json detail = RunDetailToJson(running, {action}, {released});
  CHECK(detail == json{{"format_version", 1},
                       {"kind", "run"},
                       {"run", expected_run},
                       {"actions",
                        {{{"action", "create"},
                          {"container", "lab1/product-master"},
                          {"started_at", "2026-12-01T09:04:05Z"},
                          {"finished_at", "2026-12-01T09:04:09Z"},
                          {"result", "succeeded"},
                          {"error", ""}}}},
                       {"release",
                        {{{"host", "lab1"},
                          {"container", "product-master"},
                          {"groups", {"product"}},
                          {"core", true},
                          {"action", "create"},
                          {"outcome", "succeeded"},
                          {"image", Image()},
                          {"image_digest", nullptr},
                          {"image_id", "sha256:1d"},
                          {"container_id", nullptr},
                          {"script_digest", nullptr}}}}});

  DriftCheckRecord check;
  check.id = 12;
  check.project = "jiliang";
  check.groups = {"product"};
  check.checked_at = 1796115845;
  check.result = "drift";
  check.detail = "drift: 1 drifted, 5 in sync";
  check.findings = {{"lab1/product-master", "stopped", "container is exited (exit code 137)"}};
  CHECK(DriftHistoryToJson({check}) ==
        json{{"format_version", 1},
             {"kind", "drift-history"},
             {"checks",
              {{{"id", 12},
                {"checked_at", "2026-12-01T09:04:05Z"},
                {"groups", {"product"}},
                {"result", "drift"},
                {"detail", "drift: 1 drifted, 5 in sync"},
                {"findings",
                 {{{"container", "lab1/product-master"},
                   {"kind", "stopped"},
                   {"detail", "container is exited (exit code 137)"}}}}}}}});
  CHECK(DriftHistoryToJson({}).at("checks") == json::array());
  CHECK(TimeToJson(0).is_null());
}

TEST_CASE("a drift check the pipeline recorded reads back as a drift-history document",
          "[fleet_view]") {
  World w;
  DesiredState d = Manifest();
  REQUIRE(w.Apply(d).complete);
  REQUIRE(w.factory->Host("lab1").StopContainer("product-master", std::chrono::seconds(1)).ok());
  PlannedRun refreshed = w.Plan(d, /*refresh=*/true);
  REQUIRE(w.reconciler->CheckDrift(refreshed.plan, 1700000000).recorded.ok());
  auto checks = w.store->ListDriftChecks("jiliang", 0, 0);
  REQUIRE(checks.ok());
  const json doc = DriftHistoryToJson(*checks);
  REQUIRE(doc.at("checks").size() == 1);
  const json check = doc.at("checks")[0];
  CHECK(check.at("checked_at") == "2023-11-14T22:13:20Z");
  CHECK(check.at("result") == "drift");
  REQUIRE(check.at("findings").size() == 1);
  CHECK(check.at("findings")[0].at("container") == "lab1/product-master");
  CHECK(check.at("findings")[0].at("kind") == "stopped");
}

}  // namespace jlrec::serve
