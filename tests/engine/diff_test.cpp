// The diff on hand-built desired and live states: every action, every reason, ordering,
// selection and secret redaction.
#include <catch2/catch.hpp>

#include <algorithm>

#include "../model/spec_field_samples.h"
#include "engine/diff.h"
#include "model/digest.h"

using namespace jlrec;

namespace {

DesiredContainer Want(const std::string& host, const std::string& name, bool core = false,
                      std::vector<std::string> groups = {"product"}) {
  DesiredContainer c;
  c.host = host;
  c.name = name;
  c.core = core;
  c.groups = std::move(groups);
  c.spec.image = "127.0.0.1:5000/app:1";
  c.spec.command = {"/bin/sh", "/run.sh"};
  c.spec.network_mode = "host";
  c.spec.restart = "unless-stopped";
  c.env = {{"RUNTIME_MODE", "dev_new"}, {"DB_PASSWORD", "hunter2"}};
  c.secret_env = {"DB_PASSWORD"};
  c.script = "#!/bin/sh\nexport DB_PASSWORD='hunter2'\nexport RUNTIME_MODE='dev_new'\nsleep 1\n";
  c.script_digest = ScriptDigest("", c.script);
  c.spec_digest = SpecDigest(c.spec);
  return c;
}

DesiredState State(std::vector<DesiredContainer> containers) {
  DesiredState d;
  d.project = "jiliang";
  d.manifest_digest = "m1";
  for (const auto& c : containers) {
    d.hosts[c.host] = HostConnection{c.host, c.host, 22, "root", "", "", "/var/run/docker.sock"};
    for (const auto& g : c.groups) d.groups[g].name = g;
  }
  d.containers = std::move(containers);
  return d;
}

// A live container exactly as jlrec would have created it from `c`.
LiveContainer Matching(const DesiredContainer& c) {
  LiveContainer l;
  l.id = "id-" + c.name;
  l.name = c.name;
  l.image_id = "sha256:img1";
  l.spec = c.spec;
  l.jlrec_labels = {{labels::kProject, "jiliang"},
                    {labels::kScriptDigest, c.script_digest},
                    {labels::kGroups, "product"}};
  l.state = "running";
  l.script_digest = c.script_digest;
  l.script_env = c.env;
  return l;
}

HostSnapshot Host(const std::string& host, std::vector<LiveContainer> containers) {
  HostSnapshot s;
  s.host = host;
  s.reachable = true;
  s.containers = std::move(containers);
  return s;
}

Plan MakePlan(const DesiredState& d, const RefreshResult& live, DiffOptions o = {}) {
  if (o.groups.empty()) o.groups = {"product"};
  auto plan = ComputePlan(d, live, o);
  REQUIRE(plan.ok());
  return *plan;
}

const PlanAction& Only(const Plan& p) {
  REQUIRE(p.actions.size() == 1);
  return p.actions[0];
}

}  // namespace

TEST_CASE("a container missing on its host is planned as create", "[diff]") {
  auto d = State({Want("h1", "a")});
  Plan p = MakePlan(d, {{Host("h1", {})}});
  CHECK(Only(p).kind == ActionKind::kCreate);
  CHECK(p.HasChanges());
  CHECK(p.Count(ActionKind::kCreate) == 1);
}

TEST_CASE("a matching running container is a counted no-op, not listed", "[diff]") {
  auto d = State({Want("h1", "a")});
  Plan p = MakePlan(d, {{Host("h1", {Matching(d.containers[0])})}});
  CHECK(p.actions.empty());
  CHECK(p.noops.size() == 1);
  CHECK_FALSE(p.HasChanges());
}

TEST_CASE("each differing immutable field makes a replace listing old and new", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  SECTION("image") { l.spec.image = "127.0.0.1:5000/app:0"; }
  SECTION("command") { l.spec.command = {"/bin/sh"}; }
  SECTION("network mode") { l.spec.network_mode = "none"; }
  SECTION("volumes") { l.spec.volumes = {"/data:/data"}; }
  SECTION("restart policy") { l.spec.restart = "always"; }
  SECTION("ports") { l.spec.ports = {"8080:80/tcp"}; }
  SECTION("user labels") { l.spec.labels = {{"team", "x"}}; }
  Plan p = MakePlan(d, {{Host("h1", {l})}});
  const auto& a = Only(p);
  CHECK(a.kind == ActionKind::kReplace);
  REQUIRE(a.changes.size() == 1);
  CHECK(a.changes[0].old_value != a.changes[0].new_value);
  CHECK(ReasonText(a).find(a.changes[0].field) != std::string::npos);
}

TEST_CASE("the image change reason shows the old and new reference", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.spec.image = "127.0.0.1:5000/app:0";
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  const auto& a = Only(plan);
  CHECK(a.changes[0].field == "image");
  CHECK(a.changes[0].old_value == "127.0.0.1:5000/app:0");
  CHECK(a.changes[0].new_value == "127.0.0.1:5000/app:1");
}

TEST_CASE("an env change is an in-place update naming the variable, secrets redacted", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.script_digest = "other";
  l.jlrec_labels[labels::kScriptDigest] = "written-from-an-older-manifest";
  l.script_env["RUNTIME_MODE"] = "test";
  l.script_env["DB_PASSWORD"] = "old-secret";
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  const auto& a = Only(plan);
  CHECK(a.kind == ActionKind::kUpdate);
  bool saw_mode = false, saw_secret = false;
  for (const auto& ch : a.changes) {
    if (ch.field == "env.RUNTIME_MODE") {
      saw_mode = true;
      CHECK(ch.old_value == "test");
      CHECK(ch.new_value == "dev_new");
    }
    if (ch.field == "env.DB_PASSWORD") {
      saw_secret = true;
      CHECK(ch.old_value == kSensitive);
      CHECK(ch.new_value == kSensitive);
    }
    CHECK(ch.old_value.find("secret") == std::string::npos);
    CHECK(ch.new_value.find("hunter2") == std::string::npos);
  }
  CHECK(saw_mode);
  CHECK(saw_secret);
  CHECK(ReasonText(a).find("environment") != std::string::npos);
}

TEST_CASE("a variable the manifest no longer sets shows no value as it may be an old secret",
          "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.script_digest = "other";
  l.script_env["OLD_TOKEN"] = "tok-9f8e7d";
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  const auto& a = Only(plan);
  REQUIRE(a.changes.size() == 2);
  CHECK(a.changes[0].field == "env.OLD_TOKEN");
  CHECK(a.changes[0].old_value == kSensitive);
  CHECK(a.changes[0].new_value == "(none)");
}

TEST_CASE("a /run.sh edited by hand is an update that says so", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.script_digest = ScriptDigest("", "edited");
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  const auto& a = Only(plan);
  CHECK(a.kind == ActionKind::kUpdate);
  CHECK(ReasonText(a).find("edited") != std::string::npos);
}

TEST_CASE("a missing /run.sh is an update", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.script_digest.reset();
  CHECK(Only(MakePlan(d, {{Host("h1", {l})}})).kind == ActionKind::kUpdate);
}

TEST_CASE("a stopped container that otherwise matches is planned as start", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.state = "exited";
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  const auto& a = Only(plan);
  CHECK(a.kind == ActionKind::kStart);
  CHECK(ReasonText(a) == "container is exited (exit code 0)");
  CHECK(a.reason_kind == ReasonKind::kStopped);
}

TEST_CASE("replace wins over update and start", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.state = "exited";
  l.script_digest = "x";
  l.spec.restart = "no";
  CHECK(Only(MakePlan(d, {{Host("h1", {l})}})).kind == ActionKind::kReplace);
}

TEST_CASE(
    "an unmanaged container that differs from the manifest is a conflict naming the "
    "fields, unless asked to replace",
    "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.jlrec_labels.clear();
  l.spec.restart = "no";
  l.spec.command = {"sleep", "600"};
  Plan p = MakePlan(d, {{Host("h1", {l})}});
  CHECK(Only(p).kind == ActionKind::kConflict);
  CHECK(ReasonText(Only(p)).find("differs from the manifest (command, restart)") !=
        std::string::npos);
  REQUIRE(Only(p).changes.size() == 2);
  CHECK(Only(p).changes[0].field == "command");
  CHECK_FALSE(p.HasChanges());
  DiffOptions o;
  o.replace_unmanaged = true;
  CHECK(Only(MakePlan(d, {{Host("h1", {l})}}, o)).kind == ActionKind::kReplace);
}

TEST_CASE("a container of another project with a wanted name is a conflict", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.jlrec_labels[labels::kProject] = "other";
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  const auto& a = Only(plan);
  CHECK(a.kind == ActionKind::kConflict);
  CHECK(ReasonText(a).find("'other'") != std::string::npos);
}

TEST_CASE("an unreachable host makes its containers unknown and the plan an error", "[diff]") {
  auto d = State({Want("h1", "a"), Want("h2", "b")});
  HostSnapshot down;
  down.host = "h2";
  down.reachable = false;
  down.error = "connection refused";
  Plan p = MakePlan(d, {{Host("h1", {}), down}});
  REQUIRE(p.actions.size() == 2);
  CHECK(p.actions[1].kind == ActionKind::kUnknown);
  CHECK(ReasonText(p.actions[1]).find("connection refused") != std::string::npos);
  REQUIRE(p.host_errors.size() == 1);
  CHECK(p.host_errors[0].host == "h2");
  CHECK(p.HasErrors());
}

TEST_CASE("orphans are listed without --prune and removed with it", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer orphan = Matching(d.containers[0]);
  orphan.name = "old";
  orphan.id = "id-old";
  Plan p = MakePlan(d, {{Host("h1", {Matching(d.containers[0]), orphan})}});
  CHECK(p.actions.empty());
  REQUIRE(p.orphans.size() == 1);
  CHECK(ReasonText(p.orphans[0]).find("--prune") != std::string::npos);
  DiffOptions o;
  o.prune = true;
  Plan pruned = MakePlan(d, {{Host("h1", {Matching(d.containers[0]), orphan})}}, o);
  CHECK(Only(pruned).kind == ActionKind::kRemove);
  CHECK(Only(pruned).name == "old");
}

TEST_CASE("unmanaged containers that nobody wants are never orphans", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer stranger = Matching(d.containers[0]);
  stranger.name = "someone_elses";
  stranger.jlrec_labels.clear();
  DiffOptions o;
  o.prune = true;
  Plan p = MakePlan(d, {{Host("h1", {Matching(d.containers[0]), stranger})}}, o);
  CHECK(p.actions.empty());
  CHECK(p.orphans.empty());
}

TEST_CASE("a container wanted by another group is not an orphan of this one", "[diff]") {
  auto d = State({Want("h1", "a"), Want("h1", "t", false, {"test"})});
  LiveContainer other = Matching(d.containers[1]);
  DiffOptions o;
  o.prune = true;
  Plan p = MakePlan(d, {{Host("h1", {Matching(d.containers[0]), other})}}, o);
  CHECK(p.actions.empty());
}

TEST_CASE("actions come in execution order: group by group, core first", "[diff]") {
  auto d = State({Want("h2", "w1"), Want("h1", "core", true), Want("h3", "w2"),
                  Want("h3", "t_core", true, {"test"}), Want("h1", "t_w", false, {"test"})});
  DiffOptions o;
  o.groups = {"test", "product"};
  Plan p = MakePlan(d, {{Host("h1", {}), Host("h2", {}), Host("h3", {})}}, o);
  std::vector<std::string> order;
  for (const auto& a : p.actions) order.push_back(a.name);
  CHECK(order == std::vector<std::string>{"t_core", "t_w", "core", "w1", "w2"});
}

TEST_CASE("only the selected groups are planned", "[diff]") {
  auto d = State({Want("h1", "a"), Want("h1", "t", false, {"test"})});
  Plan p = MakePlan(d, {{Host("h1", {})}});
  CHECK(Only(p).name == "a");
}

TEST_CASE("targets narrow the plan to those containers", "[diff]") {
  auto d = State({Want("h1", "a"), Want("h1", "b")});
  DiffOptions o;
  o.targets = {"h1/b"};
  CHECK(Only(MakePlan(d, {{Host("h1", {})}}, o)).name == "b");
}

TEST_CASE("an unknown group or target is an error naming it", "[diff]") {
  auto d = State({Want("h1", "a")});
  DiffOptions o;
  o.groups = {"nope"};
  auto p = ComputePlan(d, {{Host("h1", {})}}, o);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().find("'nope'") != std::string::npos);
  o.groups = {"product"};
  o.targets = {"h1/zzz"};
  p = ComputePlan(d, {{Host("h1", {})}}, o);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().find("h1/zzz") != std::string::npos);
}

TEST_CASE("a moved tag is a replace pinned to the registry's digest", "[diff]") {
  auto d = State({Want("h1", "a")});
  HostSnapshot h = Host("h1", {Matching(d.containers[0])});
  h.registry_digests["127.0.0.1:5000/app:1"] = "sha256:bbbbbbbbbbbbbbbbbbbb";
  h.image_repo_digests["sha256:img1"] = {"127.0.0.1:5000/app@sha256:aaaaaaaaaaaaaaaaaaaa"};
  Plan plan = MakePlan(d, {{h}});
  const auto& a = Only(plan);
  CHECK(a.kind == ActionKind::kReplace);
  CHECK(a.pinned_image == "127.0.0.1:5000/app@sha256:bbbbbbbbbbbbbbbbbbbb");
  CHECK(ReasonText(a).rfind("tag moved sha256:aaaaaaaaaaaa", 0) == 0);
  CHECK(ReasonText(a).find("-> sha256:bbbbbbbbbbbb") != std::string::npos);
}

TEST_CASE("a create carries the digest its image tag resolved to in the refresh", "[diff]") {
  auto d = State({Want("h1", "a")});
  HostSnapshot h = Host("h1", {});
  std::string want;
  SECTION("the registry answered") {
    h.registry_digests["127.0.0.1:5000/app:1"] = "sha256:cccc";
    want = "sha256:cccc";
  }
  SECTION("the registry did not answer") {
    h.registry_digests["127.0.0.1:5000/app:1"] = "";
    h.image_check_errors["127.0.0.1:5000/app:1"] = "connection refused";
  }
  SECTION("not asked (a plan from the cache)") { h.from_cache = true; }
  Plan plan = MakePlan(d, {{h}});
  CHECK(Only(plan).image_digest == want);
}

TEST_CASE("an unchanged tag digest is not a replace", "[diff]") {
  auto d = State({Want("h1", "a")});
  HostSnapshot h = Host("h1", {Matching(d.containers[0])});
  h.registry_digests["127.0.0.1:5000/app:1"] = "sha256:aaaa";
  h.image_repo_digests["sha256:img1"] = {"127.0.0.1:5000/app@sha256:aaaa"};
  CHECK(MakePlan(d, {{h}}).actions.empty());
}

TEST_CASE("an unreachable registry is a warning, not a replace", "[diff]") {
  auto d = State({Want("h1", "a")});
  HostSnapshot h = Host("h1", {Matching(d.containers[0])});
  h.registry_digests["127.0.0.1:5000/app:1"] = "";
  h.image_check_errors["127.0.0.1:5000/app:1"] = "connection refused";
  Plan p = MakePlan(d, {{h}});
  CHECK(p.actions.empty());
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("connection refused") != std::string::npos);
}

TEST_CASE("fingerprints record the live container a plan was made from", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.state = "exited";
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  const auto& a = Only(plan);
  CHECK(a.fingerprint.exists);
  CHECK(a.fingerprint.container_id == "id-a");
  CHECK(a.fingerprint.state == "exited");
  CHECK(a.fingerprint.spec_digest == SpecDigest(l.spec));
  CHECK(a.fingerprint == FingerprintOf(&l));
}

TEST_CASE("a container created from a pinned digest matches its tag when jlrec wrote it",
          "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.spec.image = "127.0.0.1:5000/app@sha256:bbbb";
  l.jlrec_labels[labels::kSpecDigest] = d.containers[0].spec_digest;
  HostSnapshot h = Host("h1", {l});
  h.registry_digests["127.0.0.1:5000/app:1"] = "sha256:bbbb";
  h.image_repo_digests["sha256:img1"] = {"127.0.0.1:5000/app@sha256:bbbb"};
  CHECK(MakePlan(d, {{h}}).actions.empty());
  l.jlrec_labels[labels::kSpecDigest] = "another spec";
  CHECK(Only(MakePlan(d, {{Host("h1", {l})}})).kind == ActionKind::kReplace);
}

TEST_CASE(
    "a command or label that Docker reports as the image default still matches what jlrec wrote",
    "[diff]") {
  auto d = State({Want("h1", "a")});
  d.containers[0].spec.labels = {{"team", "x"}};
  d.containers[0].spec_digest = SpecDigest(d.containers[0].spec);
  LiveContainer l = Matching(d.containers[0]);
  l.spec.command.clear();
  l.spec.labels.clear();
  l.jlrec_labels[labels::kSpecDigest] = d.containers[0].spec_digest;
  CHECK(MakePlan(d, {{Host("h1", {l})}}).actions.empty());
  l.jlrec_labels[labels::kSpecDigest] = "written by hand";
  CHECK(Only(MakePlan(d, {{Host("h1", {l})}})).kind == ActionKind::kReplace);
}

TEST_CASE("hosts sharing a Docker daemon neither orphan nor adopt each other's containers",
          "[diff]") {
  // h1 and h2 reach the same daemon: h1's refresh sees h2's container too.
  auto d = State({Want("h1", "a"), Want("h2", "b")});
  LiveContainer a = Matching(d.containers[0]);
  a.jlrec_labels[labels::kHost] = "h1";
  LiveContainer b = Matching(d.containers[1]);
  b.jlrec_labels[labels::kHost] = "h2";
  DiffOptions prune;
  prune.prune = true;
  Plan p = MakePlan(d, {{Host("h1", {a, b}), Host("h2", {a, b})}}, prune);
  CHECK(p.actions.empty());
  CHECK(p.orphans.empty());
  CHECK(p.noops.size() == 2);

  SECTION("a wanted name held by the other host key's container is a conflict") {
    auto same_name = State({Want("h1", "a"), Want("h2", "a")});
    LiveContainer theirs = Matching(same_name.containers[1]);
    theirs.jlrec_labels[labels::kHost] = "h2";
    Plan q = MakePlan(same_name, {{Host("h1", {theirs}), Host("h2", {theirs})}});
    REQUIRE(q.actions.size() == 1);
    CHECK(q.actions[0].Ref() == "h1/a");
    CHECK(q.actions[0].kind == ActionKind::kConflict);
    CHECK(ReasonText(q.actions[0]).find("managed for host 'h2'") != std::string::npos);
  }
}

TEST_CASE("unchanged containers are only named, actions carry copies and fingerprints", "[diff]") {
  auto d = State({Want("h1", "a"), Want("h1", "b")});
  LiveContainer stopped = Matching(d.containers[1]);
  stopped.state = "exited";
  Plan p = MakePlan(d, {{Host("h1", {Matching(d.containers[0]), stopped})}});
  REQUIRE(p.noops.size() == 1);
  CHECK(p.noops[0].Ref() == "h1/a");
  CHECK(p.noops[0].groups == std::vector<std::string>{"product"});
  const PlanAction& start = Only(p);
  CHECK(start.kind == ActionKind::kStart);
  REQUIRE(start.desired);
  REQUIRE(start.live);
  CHECK(start.fingerprint.exists);
  CHECK(start.fingerprint.container_id == "id-b");
}

TEST_CASE("a script change planned from the cache does not guess why the script differs",
          "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer changed = Matching(d.containers[0]);
  changed.script_digest = std::string(64, 'e');
  changed.jlrec_labels[labels::kScriptDigest] = std::string(64, 'e');
  HostSnapshot cached = Host("h1", {changed});
  cached.from_cache = true;
  Plan from_cache_plan = MakePlan(d, {{cached}});
  const PlanAction& from_cache = Only(from_cache_plan);
  CHECK(from_cache.kind == ActionKind::kUpdate);
  CHECK(ReasonText(from_cache) == "/run.sh differs (a refresh shows which variables changed)");
  Plan refreshed_plan = MakePlan(d, {{Host("h1", {changed})}});
  const PlanAction& refreshed = Only(refreshed_plan);
  CHECK(ReasonText(refreshed) == "/run.sh differs (template or script body changed)");
}

// --- What the host shows of a container's process (issue 13: continuous health).
namespace {
// The only action of `plan`, by value (the plan is often a temporary).
PlanAction The(const Plan& plan) {
  REQUIRE(plan.actions.size() == 1);
  return plan.actions[0];
}
}  // namespace

TEST_CASE("a /run.sh written after the process started is a pending restart", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.started_at = "2026-12-01T09:00:00.5Z";
  SECTION("written later: restart pending") {
    l.script_stat = "120:493:2026-12-01T17:00:03+08:00";  // 09:00:03Z, on the host's clock
    const PlanAction a = The(MakePlan(d, {{Host("h1", {l})}}));
    CHECK(a.kind == ActionKind::kUpdate);
    CHECK(a.reason_kind == ReasonKind::kRestartPending);
    CHECK(ReasonText(a).find("restart pending") != std::string::npos);
  }
  SECTION("written before the start: in sync") {
    l.script_stat = "120:493:2026-12-01T09:00:00Z";
    CHECK(MakePlan(d, {{Host("h1", {l})}}).actions.empty());
  }
  SECTION("a symlink's stat (no mtime) says nothing") {
    l.script_stat = "";
    CHECK(MakePlan(d, {{Host("h1", {l})}}).actions.empty());
  }
}

TEST_CASE("an unhealthy or restart-looping container is restarted and checked", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  SECTION("Docker's health check says unhealthy") {
    l.health = "unhealthy";
    const PlanAction a = The(MakePlan(d, {{Host("h1", {l})}}));
    CHECK(a.kind == ActionKind::kUpdate);
    CHECK(a.reason_kind == ReasonKind::kUnhealthy);
    CHECK(std::string(DriftClassOf(a.reason_kind)) == "unhealthy");
  }
  SECTION("healthy and starting are fine") {
    l.health = "starting";
    CHECK(MakePlan(d, {{Host("h1", {l})}}).actions.empty());
  }
  SECTION("Docker is between two restarts") {
    l.state = "restarting";
    l.restart_count = 5;
    l.exit_code = 3;
    const PlanAction a = The(MakePlan(d, {{Host("h1", {l})}}));
    CHECK(a.kind == ActionKind::kUpdate);
    CHECK(a.reason_kind == ReasonKind::kRestartLoop);
    CHECK(ReasonText(a).find("exit code 3") != std::string::npos);
  }
  SECTION("running, but restarted three times since its last start") {
    l.restart_count = 3;
    CHECK(The(MakePlan(d, {{Host("h1", {l})}})).reason_kind == ReasonKind::kRestartLoop);
    l.restart_count = 2;
    CHECK(MakePlan(d, {{Host("h1", {l})}}).actions.empty());
  }
}

TEST_CASE("a healthcheck is part of the spec: adding one replaces the container", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  d.containers[0].spec.healthcheck =
      Healthcheck{{"test", "-f", "/ok"}, std::chrono::seconds(3), std::chrono::seconds(1), 3};
  d.containers[0].spec_digest = SpecDigest(d.containers[0].spec);
  const PlanAction a = The(MakePlan(d, {{Host("h1", {l})}}));
  CHECK(a.kind == ActionKind::kReplace);
  REQUIRE(a.changes.size() == 1);
  CHECK(a.changes[0].field == "healthcheck");
  CHECK(a.changes[0].new_value == "[test, -f, /ok] every 1s, timeout 3s, 3 retries");
}

// --- Failed actions stay in the plan (issue 13).

namespace {
ActionFailure FailureOf(const DesiredContainer& c, const std::string& action,
                        const std::string& container_id) {
  ActionFailure f;
  f.host = c.host;
  f.container = c.name;
  f.action = action;
  f.container_id = container_id;
  f.spec_digest = c.spec_digest;
  f.script_digest = c.script_digest;
  f.reason = "health check: health check timed out after 3s (last probe: exit code 1)";
  f.run_id = 12;
  return f;
}
Plan PlanWithFailures(const DesiredState& d, const RefreshResult& live,
                      std::vector<ActionFailure> failures) {
  DiffOptions o;
  o.groups = {"product"};
  auto plan = ComputePlan(d, live, o, Remembered{std::move(failures), {}, {}});
  REQUIRE(plan.ok());
  return *plan;
}
}  // namespace

TEST_CASE("a container whose create failed its health gate is planned again, not in sync",
          "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  Plan plan =
      PlanWithFailures(d, {{Host("h1", {l})}}, {FailureOf(d.containers[0], "create", l.id)});
  const auto& a = Only(plan);
  CHECK(a.kind == ActionKind::kReplace);
  CHECK(a.reason_kind == ReasonKind::kFailed);
  CHECK(ReasonText(a) ==
        "create failed at apply #12: health check: health check timed out after 3s (last probe: "
        "exit code 1)");
  REQUIRE(a.failure.has_value());
  CHECK(a.failure->run_id == 12);
  CHECK(plan.HasChanges());
  CHECK(std::string(DriftClassOf(a.reason_kind)) == "failed");
}

TEST_CASE("a failed update or start is redone in place", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  SECTION("update: restarted and checked again") {
    const PlanAction a =
        The(PlanWithFailures(d, {{Host("h1", {l})}}, {FailureOf(d.containers[0], "update", l.id)}));
    CHECK(a.kind == ActionKind::kUpdate);
    CHECK(a.reason_kind == ReasonKind::kFailed);
  }
  SECTION("a rolled-back update still differs: the update stays, with the failure's reason") {
    l.script_digest = "0ld";
    ActionFailure f = FailureOf(d.containers[0], "update", l.id);
    f.rolled_back = true;
    const PlanAction a = The(PlanWithFailures(d, {{Host("h1", {l})}}, {f}));
    CHECK(a.kind == ActionKind::kUpdate);
    CHECK(a.reason_kind == ReasonKind::kFailed);
    CHECK(ReasonText(a).rfind("update failed at apply #12 and was rolled back: ", 0) == 0);
    CHECK(ReasonText(a).find("(now: /run.sh was edited") != std::string::npos);
  }
}

TEST_CASE("a failure no longer applies once the container or the manifest changed", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  SECTION("another container under the name") {
    CHECK(PlanWithFailures(d, {{Host("h1", {l})}}, {FailureOf(d.containers[0], "create", "other")})
              .actions.empty());
  }
  SECTION("the manifest asks for another script") {
    ActionFailure f = FailureOf(d.containers[0], "create", l.id);
    f.script_digest = "an-older-script";
    CHECK(PlanWithFailures(d, {{Host("h1", {l})}}, {f}).actions.empty());
  }
  SECTION("another container's failure") {
    ActionFailure f = FailureOf(d.containers[0], "create", l.id);
    f.container = "b";
    CHECK(PlanWithFailures(d, {{Host("h1", {l})}}, {f}).actions.empty());
  }
}

TEST_CASE("a failed create that left no container is created again with its reason", "[diff]") {
  auto d = State({Want("h1", "a")});
  const PlanAction a =
      The(PlanWithFailures(d, {{Host("h1", {})}}, {FailureOf(d.containers[0], "create", "")}));
  CHECK(a.kind == ActionKind::kCreate);
  CHECK(a.reason_kind == ReasonKind::kFailed);
}

// --- Interrupted replaces (issue 13).

TEST_CASE("a NAME.jlrec-prev container is an interrupted replace, finished by a replace",
          "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer previous = Matching(d.containers[0]);
  previous.id = "id-prev";
  previous.name = std::string("a") + kPreviousSuffix;
  previous.spec.image = "127.0.0.1:5000/app:0";
  previous.jlrec_labels[labels::kUnit] = "h1/a";
  SECTION("the new container was not made yet") {
    Plan plan = MakePlan(d, {{Host("h1", {previous})}});
    const auto& a = Only(plan);
    CHECK(a.kind == ActionKind::kReplace);
    CHECK(a.reason_kind == ReasonKind::kInterrupted);
    REQUIRE(a.previous.has_value());
    CHECK(a.previous->id == "id-prev");
    CHECK_FALSE(a.live.has_value());
    CHECK(plan.orphans.empty());  // the previous container is the replace's, not an orphan
  }
  SECTION("the new container exists") {
    LiveContainer fresh = Matching(d.containers[0]);
    const PlanAction a = The(MakePlan(d, {{Host("h1", {fresh, previous})}}));
    CHECK(a.kind == ActionKind::kReplace);
    CHECK(a.reason_kind == ReasonKind::kInterrupted);
    REQUIRE(a.live.has_value());
    CHECK(a.live->id == fresh.id);
  }
  SECTION("another unit's NAME.jlrec-prev is not this one's") {
    previous.jlrec_labels[labels::kUnit] = "h2/a";
    Plan plan = MakePlan(d, {{Host("h1", {previous})}});
    CHECK(Only(plan).kind == ActionKind::kCreate);
  }
}

// --- Images that exist nowhere, and conflicts (issue 13).

TEST_CASE("an image in neither its registry nor on the host makes the plan an error", "[diff]") {
  auto d = State({Want("h1", "a"), Want("h1", "b")});
  HostSnapshot h = Host("h1", {Matching(d.containers[1])});
  h.missing_images["127.0.0.1:5000/app:1"] = "manifest unknown: manifest unknown";
  Plan plan = MakePlan(d, {{h}});
  REQUIRE(plan.actions.size() == 1);
  const auto& a = plan.actions[0];
  CHECK(a.name == "a");
  CHECK(a.kind == ActionKind::kUnknown);
  CHECK(a.reason_kind == ReasonKind::kImageNotFound);
  CHECK(ReasonText(a) ==
        "image not found: 127.0.0.1:5000/app:1 (manifest unknown: manifest unknown)");
  CHECK(plan.HasErrors());
  CHECK_FALSE(plan.HasChanges());
  // b runs already: only a warning for it.
  REQUIRE(plan.warnings.size() == 1);
  CHECK(plan.warnings[0].find("cannot be made again") != std::string::npos);
}

TEST_CASE("a conflict counts: the plan has one even without changes", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  l.jlrec_labels.clear();
  l.spec.image = "127.0.0.1:5000/app:0";
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  CHECK(Only(plan).kind == ActionKind::kConflict);
  CHECK(Only(plan).reason_kind == ReasonKind::kUnmanaged);
  CHECK(plan.HasConflicts());
  CHECK_FALSE(plan.HasChanges());
}

TEST_CASE("a failed create is made again even once Docker calls it unhealthy or it stopped",
          "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Matching(d.containers[0]);
  SECTION("unhealthy") { l.health = "unhealthy"; }
  SECTION("exited") { l.state = "exited"; }
  const PlanAction a =
      The(PlanWithFailures(d, {{Host("h1", {l})}}, {FailureOf(d.containers[0], "create", l.id)}));
  CHECK(a.kind == ActionKind::kReplace);
  CHECK(a.reason_kind == ReasonKind::kFailed);
  CHECK(ReasonText(a).find("(now: ") != std::string::npos);
}

TEST_CASE("an interrupted replace names the run the journal holds unfinished", "[diff]") {
  auto d = State({Want("h1", "a")});
  LiveContainer previous = Matching(d.containers[0]);
  previous.name = std::string("a") + kPreviousSuffix;
  DiffOptions o;
  o.groups = {"product"};
  auto plan = ComputePlan(d, {{Host("h1", {previous})}}, o, Remembered{{}, {{"h1/a", 7}}, {}});
  REQUIRE(plan.ok());
  CHECK(ReasonText(The(*plan)).find("(apply #7 was stopped during it)") != std::string::npos);
}

// --- Adoption of containers made outside jlrec (issue 14).

namespace {
// A container as the legacy script made it: no jlrec label, the manifest's spec.
LiveContainer Legacy(const DesiredContainer& c) {
  LiveContainer l = Matching(c);
  l.jlrec_labels.clear();
  return l;
}
Plan PlanRemembering(const DesiredState& d, const RefreshResult& live, Remembered remembered,
                     bool prune = false) {
  DiffOptions o;
  o.groups = {"product"};
  o.prune = prune;
  auto plan = ComputePlan(d, live, o, remembered);
  REQUIRE(plan.ok());
  return *plan;
}
Adoption AdoptionOf(const LiveContainer& l, const std::string& host = "h1") {
  Adoption a;
  a.host = host;
  a.container = l.name;
  a.container_id = l.id;
  a.spec_digest = SpecDigest(l.spec);
  a.groups = {"product"};
  return a;
}
}  // namespace

TEST_CASE("a container made outside jlrec that matches the manifest is adopted as it is",
          "[diff][adopt]") {
  auto d = State({Want("h1", "a")});
  Plan plan = MakePlan(d, {{Host("h1", {Legacy(d.containers[0])})}});
  const PlanAction a = The(plan);
  CHECK(a.kind == ActionKind::kAdopt);
  CHECK(a.adopt);
  CHECK(a.reason_kind == ReasonKind::kAdoptable);
  CHECK(std::string(ActionSymbol(a.kind)) == "=");
  CHECK(std::string(DriftClassOf(a.reason_kind)) == "unadopted");
  CHECK(plan.HasChanges());
  CHECK(plan.Adoptions() == 1);
}

TEST_CASE("an adoptable container whose /run.sh differs is adopted, then updated",
          "[diff][adopt]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Legacy(d.containers[0]);
  l.script_digest = "legacy-script";
  l.script_env = {{"RUNTIME_MODE", "test"}};
  const PlanAction a = The(MakePlan(d, {{Host("h1", {l})}}));
  CHECK(a.kind == ActionKind::kUpdate);
  CHECK(a.adopt);
  CHECK(ReasonText(a).rfind("made outside jlrec and matches the manifest: adopted, then ", 0) == 0);
}

TEST_CASE("a healthcheck the legacy container never had does not stop its adoption",
          "[diff][adopt]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Legacy(d.containers[0]);
  d.containers[0].spec.healthcheck =
      Healthcheck{{"true"}, std::chrono::seconds(3), std::chrono::seconds(1), 3};
  d.containers[0].spec_digest = SpecDigest(d.containers[0].spec);
  CHECK(The(MakePlan(d, {{Host("h1", {l})}})).kind == ActionKind::kAdopt);
  // Once adopted, it is managed: in sync, not replaced for the health check.
  CHECK(
      PlanRemembering(d, {{Host("h1", {l})}}, Remembered{{}, {}, {AdoptionOf(l)}}).actions.empty());
}

TEST_CASE("a legacy container running an older digest of the tag is not adoptable",
          "[diff][adopt]") {
  auto d = State({Want("h1", "a")});
  LiveContainer l = Legacy(d.containers[0]);
  HostSnapshot h = Host("h1", {l});
  h.registry_digests["127.0.0.1:5000/app:1"] = "sha256:new";
  h.image_repo_digests["sha256:img1"] = {"127.0.0.1:5000/app@sha256:old"};
  const PlanAction a = The(MakePlan(d, {{h}}));
  CHECK(a.kind == ActionKind::kConflict);
  CHECK(ReasonText(a).find("(image)") != std::string::npos);
}

TEST_CASE("an adopted container is managed: in sync, updated, orphaned and pruned like jlrec's",
          "[diff][adopt]") {
  auto d = State({Want("h1", "a"), Want("h1", "b")});
  LiveContainer a = Legacy(d.containers[0]);
  LiveContainer b = Legacy(d.containers[1]);
  Remembered adopted{{}, {}, {AdoptionOf(a), AdoptionOf(b)}};
  SECTION("in sync") { CHECK(PlanRemembering(d, {{Host("h1", {a, b})}}, adopted).actions.empty()); }
  SECTION("its /run.sh changed: an update, not an adoption") {
    b.script_digest = "other";
    const PlanAction u = The(PlanRemembering(d, {{Host("h1", {a, b})}}, adopted));
    CHECK(u.kind == ActionKind::kUpdate);
    CHECK_FALSE(u.adopt);
  }
  SECTION("dropped from the manifest: an orphan, removed with --prune") {
    d.containers.pop_back();
    Plan listed = PlanRemembering(d, {{Host("h1", {a, b})}}, adopted);
    REQUIRE(listed.orphans.size() == 1);
    CHECK(listed.orphans[0].name == "b");
    CHECK(listed.orphans[0].groups == std::vector<std::string>{"product"});
    Plan pruned = PlanRemembering(d, {{Host("h1", {a, b})}}, adopted, /*prune=*/true);
    CHECK(The(pruned).kind == ActionKind::kRemove);
  }
  SECTION("another container under the name is not the adopted one") {
    b.id = "someone-else";
    CHECK(The(PlanRemembering(d, {{Host("h1", {a, b})}}, adopted)).kind == ActionKind::kAdopt);
  }
}

// --- The immutable fields' comparison (SpecChanges), pinned: field names, order, the old and
// new texts a plan prints, and each field's normalisation.

namespace {
// The changes of the replace planned for a jlrec container whose live spec is `have`.
std::vector<FieldChange> ChangesFor(const ContainerSpec& want, const ContainerSpec& have) {
  auto d = State({Want("h1", "a")});
  d.containers[0].spec = want;
  d.containers[0].spec_digest = SpecDigest(want);
  LiveContainer l = Matching(d.containers[0]);
  l.spec = have;
  Plan plan = MakePlan(d, {{Host("h1", {l})}});
  if (plan.actions.empty()) return {};
  REQUIRE(plan.actions.size() == 1);
  return plan.actions[0].changes;
}

ContainerSpec WantedSpec() {
  ContainerSpec s;
  s.image = "127.0.0.1:5000/app:1";
  s.command = {"/bin/sh", "/run.sh"};
  s.network_mode = "host";
  s.volumes = {"/data:/data", "/logs:/logs:ro"};
  s.restart = "unless-stopped";
  s.ports = {"9000:9000/udp", "8080:80/tcp"};
  s.labels = {{"team", "core"}, {"tier", "web"}};
  s.healthcheck = Healthcheck{
      {"test", "-f", "/ok"}, std::chrono::milliseconds(2500), std::chrono::seconds(1), 3};
  return s;
}
}  // namespace

TEST_CASE("every differing immutable field is listed in field order with its old and new text",
          "[diff]") {
  ContainerSpec have;
  have.image = "127.0.0.1:5000/app:0";
  have.command = {"/bin/true"};
  have.network_mode = "bridge";
  have.volumes = {"/logs:/logs:ro", "/data:/data"};
  have.restart = "";
  have.ports = {"8081:80/tcp"};
  have.labels = {{"team", "edge"}};
  const std::vector<FieldChange> changes = ChangesFor(WantedSpec(), have);
  std::vector<std::vector<std::string>> got;
  for (const FieldChange& c : changes) got.push_back({c.field, c.old_value, c.new_value});
  CHECK(got == std::vector<std::vector<std::string>>{
                   {"image", "127.0.0.1:5000/app:0", "127.0.0.1:5000/app:1"},
                   {"command", "[/bin/true]", "[/bin/sh, /run.sh]"},
                   {"network_mode", "bridge", "host"},
                   {"volumes", "[/logs:/logs:ro, /data:/data]", "[/data:/data, /logs:/logs:ro]"},
                   {"restart", "no", "unless-stopped"},
                   {"ports", "[8081:80/tcp]", "[8080:80/tcp, 9000:9000/udp]"},
                   {"labels", "[team=edge]", "[team=core, tier=web]"},
                   {"healthcheck", "(none)", "[test, -f, /ok] every 1s, timeout 2500ms, 3 retries"},
               });
}

TEST_CASE("empty and unset live values are shown as the plan always showed them", "[diff]") {
  ContainerSpec want = WantedSpec();
  want.restart = "";
  want.healthcheck.reset();
  ContainerSpec have;
  have.restart = "always";
  have.healthcheck = Healthcheck{{"true"}, std::chrono::seconds(2), std::chrono::seconds(1), 1};
  std::vector<std::vector<std::string>> got;
  for (const FieldChange& c : ChangesFor(want, have))
    got.push_back({c.field, c.old_value, c.new_value});
  CHECK(got == std::vector<std::vector<std::string>>{
                   {"image", "", "127.0.0.1:5000/app:1"},
                   {"command", "(none)", "[/bin/sh, /run.sh]"},
                   {"network_mode", "(none)", "host"},
                   {"volumes", "(none)", "[/data:/data, /logs:/logs:ro]"},
                   {"restart", "always", "no"},
                   {"ports", "(none)", "[8080:80/tcp, 9000:9000/udp]"},
                   {"labels", "(none)", "[team=core, tier=web]"},
                   {"healthcheck", "[true] every 1s, timeout 2s, 1 retries", "(none)"},
               });
}

TEST_CASE("immutable fields compare after their normalisations", "[diff]") {
  ContainerSpec want = WantedSpec();
  ContainerSpec have = want;
  SECTION("an empty command or network mode is the image's or Docker's default: not compared") {
    want.command.clear();
    want.network_mode.clear();
    have.command = {"/entrypoint.sh"};
    have.network_mode = "bridge";
    CHECK(ChangesFor(want, have).empty());
  }
  SECTION("restart \"\" is \"no\"") {
    want.restart = "";
    have.restart = "no";
    CHECK(ChangesFor(want, have).empty());
    want.restart = "no";
    have.restart = "";
    CHECK(ChangesFor(want, have).empty());
  }
  SECTION("ports are a set") {
    std::reverse(have.ports.begin(), have.ports.end());
    CHECK(ChangesFor(want, have).empty());
  }
  SECTION("volumes are a list: their order counts") {
    std::reverse(have.volumes.begin(), have.volumes.end());
    REQUIRE(ChangesFor(want, have).size() == 1);
    CHECK(ChangesFor(want, have)[0].field == "volumes");
  }
  SECTION("a healthcheck differing only in its retries differs") {
    have.healthcheck->retries = 4;
    REQUIRE(ChangesFor(want, have).size() == 1);
    CHECK(ChangesFor(want, have)[0].field == "healthcheck");
  }
}

// Driven by the field list: a field added to it is covered here without editing this test.
TEST_CASE("each field of the spec's list, changed alone, is one change named by the field",
          "[diff]") {
  const ContainerSpec want = spec_samples::EveryFieldSet();
  for (const auto& [name, have] : spec_samples::EachFieldChanged(want)) {
    INFO(name);
    const std::vector<FieldChange> changes = ChangesFor(want, have);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].field == name.substr(0, name.find('.')));
    CHECK(changes[0].old_value != changes[0].new_value);
  }
}
