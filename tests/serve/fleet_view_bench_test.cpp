// How long the groups and group documents take for a fleet of 250 hosts x 4 containers, made
// from a plan and snapshots built by hand (what the documents read, without the refresh).
// Tagged [.bench]: not run by default; `test_serve "[bench]"` prints the figures.
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>

#include "serve/fleet_view.h"

namespace jlrec::serve {

TEST_CASE("the groups and group documents of 250 hosts x 4 containers take milliseconds",
          "[.bench]") {
  constexpr int kHostCount = 250;
  constexpr int kPerHost = 4;
  const std::vector<std::string> groups = {"product", "search", "billing", "gateway"};
  const std::int64_t now = 1796115845;

  DesiredState desired;
  desired.project = "jiliang";
  for (const auto& g : groups) desired.groups[g].name = g;
  PlannedRun planned;
  planned.from_cache = true;
  planned.plan.project = desired.project;
  planned.plan.groups = groups;
  for (int h = 0; h < kHostCount; ++h) {
    const std::string host = "host" + std::to_string(h);
    desired.hosts[host].key = host;
    HostSnapshot snap;
    snap.host = host;
    snap.reachable = true;
    snap.from_cache = true;
    snap.observed_at = now - 30;
    for (int i = 0; i < kPerHost; ++i) {
      DesiredContainer c;
      c.host = host;
      c.name = "app-" + std::to_string(i);
      c.groups = {groups[i]};
      if (i == 3) c.groups.push_back(groups[0]);  // some containers in two groups
      c.core = h == 0;
      c.spec.image = "127.0.0.1:5000/app:" + std::to_string(i);
      c.env = {{"RUNTIME_MODE", "prod"}, {"MONITOR_ENABLED", "1"}, {"DB_PASSWORD", "x"}};
      c.secret_env = {"DB_PASSWORD"};
      LiveContainer live;
      live.name = c.name;
      live.id = host + c.name;
      live.image_id = "sha256:" + std::string(64, 'a');
      live.spec.image = c.spec.image;
      live.state = "running";
      live.script_digest = "hmac-sha256:" + std::string(64, 'b');
      snap.containers.push_back(live);
      // One container in 20 drifted (stopped), the rest in sync.
      if ((h * kPerHost + i) % 20 == 0) {
        PlanAction a;
        a.kind = ActionKind::kStart;
        a.host = host;
        a.name = c.name;
        a.groups = c.groups;
        a.core = c.core;
        a.reason_kind = ReasonKind::kStopped;
        a.reason_facts.exit_code = 137;
        a.desired = c;
        a.live = live;
        planned.plan.actions.push_back(std::move(a));
      } else {
        planned.plan.noops.push_back({host, c.name, c.groups, c.core});
      }
      desired.containers.push_back(std::move(c));
    }
    planned.cached.hosts.push_back(std::move(snap));
  }
  FleetSnapshot s;
  s.desired = &desired;
  s.planned = &planned;
  s.now = now;

  using Clock = std::chrono::steady_clock;
  constexpr int kRounds = 20;
  double groups_ms = 0, group_ms = 0, build_ms = 0;
  std::size_t bytes = 0;
  for (int round = 0; round < kRounds; ++round) {
    auto t0 = Clock::now();
    bytes = GroupsToJson(s, nlohmann::json::object(), {}).dump().size();
    auto t1 = Clock::now();
    for (const auto& g : groups) {
      auto doc = GroupToJson(s, g);
      REQUIRE(doc.ok());
      bytes += doc->dump().size();
    }
    auto t2 = Clock::now();
    for (const auto& g : groups) REQUIRE(GroupToJson(s, g).ok());  // built, not serialized
    build_ms += std::chrono::duration<double, std::milli>(Clock::now() - t2).count();
    groups_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    group_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
  }
  std::cout << kHostCount << " hosts x " << kPerHost << " containers: GroupsToJson+dump "
            << groups_ms / kRounds << " ms, GroupToJson+dump of all " << groups.size() << " groups "
            << group_ms / kRounds << " ms, of which building " << build_ms / kRounds << " ms ("
            << bytes << " bytes per round)\n";
}

}  // namespace jlrec::serve
