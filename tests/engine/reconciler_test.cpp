// The whole pipeline (refresh and cache, plan, apply with its journal, drift, saved plans,
// locks, failures, rollback, adoption) run against the fake provider and a real state file,
// without the lab: what the CLI commands do, minus parsing and printing.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/plan_json.h"
#include "engine/reconciler.h"
#include "engine/scoped_lock.h"
#include "model/digest.h"
#include "support/fake_provider.h"
#include "support/pipeline_world.h"

namespace jlrec {
namespace {

constexpr const char* kRepo = "127.0.0.1:5000/app";

DesiredContainer Want(const std::string& host, const std::string& name, bool core,
                      const std::string& image) {
  DesiredContainer c;
  c.host = host;
  c.name = name;
  c.groups = {"product"};
  c.core = core;
  c.spec.image = image;
  c.spec.command = {"/bin/sh", "/run.sh"};
  c.spec.network_mode = "host";
  c.env = {{"RUNTIME_MODE", "dev_new"}};
  c.script = "#!/bin/sh\nexport RUNTIME_MODE='dev_new'\nexec sleep 3600  # " + name + "\n";
  c.script_digest = ScriptDigest("", c.script);
  c.spec_digest = SpecDigest(c.spec);
  return c;
}

// Project "jl": a core on h1 and a worker on h2, both on `image`.
DesiredState Manifest(const std::string& image = std::string(kRepo) + ":1") {
  DesiredState d;
  d.project = "jl";
  d.manifest_digest = "m-" + image;
  for (const char* h : {"h1", "h2"}) d.hosts[h] = HostConnection{h, h, 22, "root", "", "", ""};
  d.groups["product"].name = "product";
  d.containers = {Want("h1", "core", true, image), Want("h2", "worker", false, image)};
  return d;
}

// The fake hosts with both images, and the pipeline over them.
struct World : PipelineWorld {
  World() {
    for (const char* h : {"h1", "h2"})
      for (const char* tag : {"1", "2"}) SeedImage(h, kRepo, tag);
  }
  PlannedRun Plan(const DesiredState& d, bool refresh = true) {
    return PipelineWorld::Plan(d, {"product"}, refresh);
  }
};

}  // namespace

TEST_CASE("plan, apply, then drift: created, journalled with a release record, in sync",
          "[reconciler]") {
  World w;
  DesiredState d = Manifest();
  PlannedRun first = w.Plan(d);
  REQUIRE(first.plan.actions.size() == 2);
  CHECK(first.plan.Count(ActionKind::kCreate) == 2);
  ApplyReport report = w.Apply(d, first);
  CHECK(report.complete);
  CHECK(report.result.succeeded == 2);
  CHECK(report.summary.rfind("Apply complete in ", 0) == 0);

  auto runs = w.store->ListRuns("", "apply", 0, 0);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK((*runs)[0].result == "ok");
  CHECK((*runs)[0].owner == "tester@here");
  CHECK((*runs)[0].manifest_digest == d.manifest_digest);
  auto release = w.store->ListRelease(report.run_id);
  REQUIRE(release.ok());
  REQUIRE(release->size() == 2);
  CHECK((*release)[0].container == "core");  // the master first, as applied
  CHECK((*release)[0].image_digest == "sha256:" + Sha256Hex("content 1"));

  PlannedRun again = w.Plan(d);
  CHECK(again.plan.actions.empty());
  CHECK(again.plan.noops.size() == 2);
  DriftCheck drift = w.reconciler->CheckDrift(again.plan, 1700000000);
  CHECK(drift.result == "in_sync");
  CHECK(drift.recorded.ok());
  auto history = w.store->ListDriftChecks("jl", 0, 0);
  REQUIRE(history.ok());
  CHECK(history->size() == 1);
  // The cache now holds what apply left: a plan from it agrees, contacting no host.
  const int opens = w.factory->OpenCount("h1");
  PlannedRun cached = w.Plan(d, /*refresh=*/false);
  CHECK(cached.from_cache);
  CHECK(cached.plan.actions.empty());
  CHECK(w.factory->OpenCount("h1") == opens);
}

TEST_CASE("apply records hosts it only created on from its gates, and re-reads the others",
          "[reconciler]") {
  World w;
  DesiredState d = Manifest();
  PlannedRun first = w.Plan(d);
  const int lists = w.factory->log().Count("ListContainers");
  const int digests = w.factory->log().Count("LocalImageDigests");
  ApplyReport report = w.Apply(d, first);
  REQUIRE(report.complete);
  // Nothing read back: what the creates' gates saw is what the hosts run.
  CHECK(w.factory->log().Count("ListContainers") == lists);
  // The release still carries each host's image digest (asked once per host and image).
  CHECK(w.factory->log().Count("LocalImageDigests") == digests + 2);
  auto release = w.store->ListRelease(report.run_id);
  REQUIRE(release.ok());
  REQUIRE(release->size() == 2);
  for (const auto& entry : *release) {
    CHECK(entry.image_digest == "sha256:" + Sha256Hex("content 1"));
    CHECK_FALSE(entry.container_id.empty());
    CHECK_FALSE(entry.script_digest.empty());
  }
  // The cache vouches for the new containers and their scripts: nothing to do from it.
  PlannedRun cached = w.Plan(d, /*refresh=*/false);
  CHECK(cached.from_cache);
  CHECK(cached.plan.actions.empty());

  // An update is no create: its host is read back after the apply.
  DesiredState changed = d;
  changed.containers[0].script += "# changed\n";
  changed.containers[0].script_digest = ScriptDigest("", changed.containers[0].script);
  PlannedRun second = w.Plan(changed);
  REQUIRE(second.plan.actions.size() == 1);
  const int before_update = w.factory->log().Count("ListContainers");
  REQUIRE(w.Apply(changed, second).complete);
  CHECK(w.factory->log().Count("ListContainers") == before_update + 1);
  PlannedRun again = w.Plan(changed, /*refresh=*/false);
  CHECK(again.plan.actions.empty());
}

TEST_CASE("a failed health gate is remembered until a later apply succeeds", "[reconciler]") {
  World w;
  DesiredState d = Manifest();
  for (auto& c : d.containers) {
    c.spec.healthcheck = Healthcheck{
        {"test", "-f", "/ready"}, std::chrono::milliseconds(30), std::chrono::milliseconds(1), 3};
    c.spec_digest = SpecDigest(c.spec);
  }
  bool ready = false;
  for (const char* h : {"h1", "h2"})
    w.factory->Host(h).SetExecHandler([&](const std::string&, const std::vector<std::string>&) {
      return Result<int>(ready ? 0 : 1);
    });
  PlannedRun run = w.Plan(d);
  ApplyReport failed = w.Apply(d, run);
  CHECK_FALSE(failed.complete);
  CHECK(failed.result.failed == 1);   // the core
  CHECK(failed.result.skipped == 1);  // its worker waits for it

  PlannedRun after = w.Plan(d);
  REQUIRE_FALSE(after.plan.actions.empty());
  const PlanAction& core = after.plan.actions[0];
  CHECK(core.name == "core");
  CHECK(core.reason_kind == ReasonKind::kFailed);
  CHECK(core.kind == ActionKind::kReplace);
  DriftCheck drift = w.reconciler->CheckDrift(after.plan, 1700000000);
  CHECK(drift.result == "drift");
  CHECK(drift.findings.drifted[0].kind == "failed");

  ready = true;
  ApplyReport fixed = w.Apply(d, after);
  CHECK(fixed.complete);
  auto failures = w.store->ListFailures("jl");
  REQUIRE(failures.ok());
  CHECK(failures->empty());
  CHECK(w.Plan(d).plan.actions.empty());
}

TEST_CASE("a saved plan applies while the hosts are as it saw them, and is stale after",
          "[reconciler]") {
  World w;
  DesiredState d = Manifest();
  PlannedRun run = w.Plan(d);
  auto saved = PlanFromJson(PlanToJson(run.plan, false));
  REQUIRE(saved.ok());
  auto open = w.reconciler->PrepareSavedPlan(*saved, d);
  INFO(open.status().ToString());
  REQUIRE(open.ok());
  std::map<std::string, Provider*> providers;
  for (const auto& [host, p] : *open) providers[host] = p.get();
  ApplyRequest request;
  request.options.running_gate_timeout = std::chrono::milliseconds(200);
  ApplyReport report = w.reconciler->Apply(*saved, d, providers, nullptr, request, nullptr);
  CHECK(report.complete);

  // Saved before a change by hand: refused, nothing done.
  PlannedRun next = w.Plan(Manifest(std::string(kRepo) + ":2"));
  auto stale = PlanFromJson(PlanToJson(next.plan, false));
  REQUIRE(stale.ok());
  REQUIRE(w.factory->Host("h2").StopContainer("worker", std::chrono::seconds(1)).ok());
  auto refused = w.reconciler->PrepareSavedPlan(*stale, Manifest(std::string(kRepo) + ":2"));
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK(refused.status().message().find("stale plan: h2/worker") != std::string::npos);
}

TEST_CASE("a saved plan made for other containers than the manifest loads now is refused",
          "[reconciler]") {
  World w;
  // What an altered cache of the manifest produced: the manifest's own digest, another image.
  DesiredState real = Manifest();
  DesiredState altered = Manifest(std::string(kRepo) + ":2");
  altered.manifest_digest = real.manifest_digest;
  auto saved = PlanFromJson(PlanToJson(w.Plan(altered).plan, false));
  REQUIRE(saved.ok());
  REQUIRE(saved->Count(ActionKind::kCreate) == 2);
  auto refused = w.reconciler->PrepareSavedPlan(*saved, real);
  CHECK(refused.status().code() == Status::Code::kConflict);
  CHECK(refused.status().message().find("for another image (" + std::string(kRepo) +
                                        ":1; the plan showed " + kRepo + ":2)") !=
        std::string::npos);

  SECTION("a plan without the record of what it was made for (an older jlrec's)") {
    auto older = PlanFromJson(PlanToJson(w.Plan(real).plan, false));
    REQUIRE(older.ok());
    for (auto& a : older->actions) a.desired.reset();
    auto r = w.reconciler->PrepareSavedPlan(*older, real);
    CHECK(r.status().code() == Status::Code::kConflict);
    CHECK(r.status().message().find("has no record of what it was planned for") !=
          std::string::npos);
  }
  SECTION("the same plan, made from the manifest itself, applies") {
    auto good = PlanFromJson(PlanToJson(w.Plan(real).plan, false));
    REQUIRE(good.ok());
    CHECK(w.reconciler->PrepareSavedPlan(*good, real).ok());
  }
}

TEST_CASE("the apply lock: refused while a live process holds it, taken over from a dead one",
          "[reconciler]") {
  World w;
  char host[256] = {};
  gethostname(host, sizeof host - 1);  // a dead holder is only recognised on this machine
  const LockOwner me{"tester@here", getpid(), host};
  ScopedLock first;
  REQUIRE(first.Acquire(*w.store, "apply:jl", 0, me).ok());
  ScopedLock second;
  Status refused = second.Acquire(*w.store, "apply:jl", 0.1, me);
  CHECK(refused.code() == Status::Code::kConflict);
  first.Release();
  ScopedLock dead;
  REQUIRE(dead.Acquire(*w.store, "apply:jl", 0, LockOwner{"ghost@here", 999999999, host}).ok());
  ScopedLock takeover;
  CHECK(takeover.Acquire(*w.store, "apply:jl", 0, me).ok());
}

TEST_CASE("rollback after two applies puts the group back on the first release's digests",
          "[reconciler]") {
  World w;
  DesiredState v1 = Manifest(std::string(kRepo) + ":1");
  DesiredState v2 = Manifest(std::string(kRepo) + ":2");
  PlannedRun a = w.Plan(v1);
  REQUIRE(w.Apply(v1, a).complete);
  PlannedRun b = w.Plan(v2);
  REQUIRE(b.plan.Count(ActionKind::kReplace) == 2);
  REQUIRE(w.Apply(v2, b).complete);

  PlannedRun now = w.Plan(v2);
  auto rollback = w.reconciler->PlanRollback(v2, now, "product", 0);
  INFO(rollback.status().ToString());
  REQUIRE(rollback.ok());
  CHECK(rollback->source.id == 1);
  const std::string pinned = std::string(kRepo) + "@sha256:" + Sha256Hex("content 1");
  CHECK(rollback->pinned.containers[0].spec.image == pinned);
  CHECK(rollback->plan.Count(ActionKind::kReplace) == 2);
  ApplyRequest request;
  request.kind = "rollback";
  request.options.running_gate_timeout = std::chrono::milliseconds(200);
  ApplyReport back = w.reconciler->Apply(rollback->plan, rollback->pinned, now.providers(),
                                         &rollback->live, request, nullptr);
  CHECK(back.complete);
  CHECK(w.factory->Host("h1").Container("core")->live.spec.image == pinned);
  // The manifest still names :2: the group is reported until it is changed.
  CHECK(w.Plan(v2).plan.Count(ActionKind::kReplace) == 2);
  // With only one earlier release left to differ from, going back again goes forward.
  PlannedRun later = w.Plan(v2);
  auto forward = w.reconciler->PlanRollback(v2, later, "product", 0);
  REQUIRE(forward.ok());
  CHECK(forward->source.id == 2);
}

TEST_CASE("a container made outside jlrec is adopted as it is and managed from then on",
          "[reconciler]") {
  World w;
  DesiredState d = Manifest();
  // Made the legacy way: no labels, the manifest's spec, the rendered /run.sh.
  for (const auto& c : d.containers) {
    FakeContainer legacy;
    legacy.live.name = c.name;
    legacy.live.spec = c.spec;
    legacy.live.image_id = "sha256:" + Sha256Hex(c.spec.image);  // as the fake's images are
    legacy.live.state = "running";
    legacy.files["/run.sh"] = c.script;
    w.factory->Host(c.host).AddContainer(legacy);
  }
  PlannedRun run = w.Plan(d);
  REQUIRE(run.plan.Adoptions() == 2);
  CHECK(run.plan.actions[0].kind == ActionKind::kAdopt);
  const std::uint64_t mutations = w.factory->log().MutatingCalls();
  ApplyReport report = w.Apply(d, run);
  CHECK(report.complete);
  CHECK(w.factory->log().MutatingCalls() == mutations);  // adopting changes nothing on a host
  auto adoptions = w.store->ListAdoptions("jl");
  REQUIRE(adoptions.ok());
  CHECK(adoptions->size() == 2);
  CHECK(w.Plan(d).plan.actions.empty());
}

TEST_CASE("drift reports an unreachable host's containers as unknown, apart from the drifted",
          "[reconciler][drift]") {
  World w;
  DesiredState d = Manifest();
  w.factory->SetUnreachable("h2", "connect to h2:22: Connection refused");
  PlannedRun run = w.Plan(d);  // h1's core is missing; h2's worker cannot be seen
  DriftCheck drift = w.reconciler->CheckDrift(run.plan, 1700000000);
  CHECK(drift.result == "error");
  REQUIRE(drift.findings.drifted.size() == 1);
  CHECK(drift.findings.drifted[0].kind == "missing");
  CHECK(drift.findings.drifted[0].container == "core");
  REQUIRE(drift.findings.unknown.size() == 1);
  CHECK(drift.findings.unknown[0].kind == "unknown");
  CHECK(drift.findings.unknown[0].host == "h2");
  CHECK(drift.findings.unknown[0].container == "worker");
  CHECK(drift.summary ==
        "error: 1 drifted, 1 unknown (host h2 unreachable: h2: connect to h2:22: Connection "
        "refused), 0 in sync");

  const nlohmann::json& report = drift.report;
  CHECK(report["result"] == "error");
  CHECK(report["summary"]["drifted"] == 1);
  CHECK(report["summary"]["unknown"] == 1);
  CHECK(report["summary"]["in_sync"] == 0);
  CHECK(report["summary"]["by_kind"] == nlohmann::json{{"missing", 1}});
  REQUIRE(report["findings"].size() == 1);
  CHECK(report["findings"][0]["container"] == "core");
  REQUIRE(report["unknown"].size() == 1);
  CHECK(report["unknown"][0]["host"] == "h2");
  CHECK(report["unknown"][0]["kind"] == "unknown");

  // The history keeps both, each with its class, and the summary as the check's detail.
  auto history = w.store->ListDriftChecks("jl", 0, 0);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 1);
  CHECK((*history)[0].detail == drift.summary);
  REQUIRE((*history)[0].findings.size() == 2);
  CHECK((*history)[0].findings[1].container == "h2/worker");
  CHECK((*history)[0].findings[1].kind == "unknown");
}

}  // namespace jlrec
