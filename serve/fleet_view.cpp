#include "serve/fleet_view.h"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>
#include <unordered_map>

#include "engine/diff.h"
#include "engine/plan_reason.h"
#include "engine/release.h"
#include "model/suggestion.h"
#include "serve/api_document.h"
#include "serve/container_status.h"
#include "serve/group_counts.h"
#include "serve/journal_json.h"

namespace jlrec::serve {

namespace {

// A name from a request, quoted for a message: JSON string syntax, so control characters are
// escaped, and bytes that are not UTF-8 replaced (the message must serialize); bounded, since
// it is echoed.
std::string QuotedName(const std::string& name) {
  constexpr std::size_t kMaxEchoed = 200;
  return nlohmann::json(name.substr(0, kMaxEchoed))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The plan's snapshots by host key.
class SnapshotIndex {
 public:
  explicit SnapshotIndex(const RefreshResult& live) {
    for (const HostSnapshot& h : live.hosts) by_host_.emplace(h.host, &h);
  }
  // The snapshot of `host`, or null when the plan read none.
  const HostSnapshot* Find(const std::string& host) const {
    auto it = by_host_.find(host);
    return it == by_host_.end() ? nullptr : it->second;
  }
  // The oldest observation of `hosts` (unix seconds); 0 when one was never observed.
  std::int64_t Oldest(const std::set<std::string>& hosts) const {
    std::int64_t oldest = 0;
    for (const std::string& host : hosts) {
      const HostSnapshot* snap = Find(host);
      if (snap == nullptr || snap->observed_at == 0) return 0;
      if (oldest == 0 || snap->observed_at < oldest) oldest = snap->observed_at;
    }
    return oldest;
  }

 private:
  std::unordered_map<std::string, const HostSnapshot*> by_host_;
};

// The plan's entry of each container by "host/container": its action, or null for a no-op.
std::unordered_map<std::string, const PlanAction*> PlanEntriesByRef(const Plan& plan) {
  std::unordered_map<std::string, const PlanAction*> out;
  out.reserve(plan.actions.size() + plan.noops.size());
  for (const PlanAction& a : plan.actions) out.emplace(a.Ref(), &a);
  for (const UnchangedContainer& n : plan.noops) out.emplace(n.Ref(), nullptr);
  return out;
}

bool InGroup(const DesiredContainer& c, const std::string& group) {
  return std::find(c.groups.begin(), c.groups.end(), group) != c.groups.end();
}

nlohmann::json CountsToJson(const StatusCounts& counts) {
  nlohmann::json out = nlohmann::json::object();
  for (ContainerStatus s : kAllContainerStatuses) out[ContainerStatusName(s)] = counts[s];
  return out;
}

// Age of an observation at `now`, null with the observation.
nlohmann::json AgeToJson(std::int64_t observed_at, std::int64_t now) {
  if (observed_at == 0) return nullptr;
  return std::max<std::int64_t>(0, now - observed_at);
}

nlohmann::json StringOrNull(const std::string& value) {
  if (value.empty()) return nullptr;
  return value;
}

const LiveContainer* LiveNamed(const HostSnapshot& snap, const std::string& name) {
  for (const LiveContainer& lc : snap.containers)
    if (lc.name == name) return &lc;
  return nullptr;
}

// The digest the container runs: its repo digest when the snapshot knows it (a refresh asked
// the daemon; the cache keeps none), else its image id.
nlohmann::json ImageDigestOf(const HostSnapshot& snap, const LiveContainer& live,
                             const DesiredContainer& c) {
  const std::string& image = live.spec.image.empty() ? c.spec.image : live.spec.image;
  std::string digest = KnownImageDigest(snap, image, live.image_id);
  return StringOrNull(digest.empty() ? live.image_id : digest);
}

// The manifest's env with secret values hidden; null when the desired state carries no values.
nlohmann::json EnvToJson(const DesiredState& desired, const DesiredContainer& c) {
  if (desired.digests_only) return nullptr;
  nlohmann::json env = nlohmann::json::object();
  for (const auto& [name, value] : c.env)
    env[name] = c.secret_env.count(name) != 0 ? std::string(kSensitive) : value;
  return env;
}

nlohmann::json LastChangeToJson(const FleetSnapshot& s, const std::string& ref) {
  auto it = s.last_changes.find(ref);
  if (it == s.last_changes.end()) return nullptr;
  const LastChange& change = it->second;
  return {{"at", TimeToJson(change.at)},
          {"run_id", change.run_id},
          {"action", change.action},
          {"result", change.result}};
}

// `c`'s entry; `planned` false when the plan does not hold it (then `action` is null too),
// `action` null for a no-op.
nlohmann::json ContainerToJson(const FleetSnapshot& s, const DesiredContainer& c, bool planned,
                               const PlanAction* action, const HostSnapshot* snap) {
  // A container the plan does not hold cannot be told: unknown, like an unread host.
  const ContainerStatus status = action != nullptr ? ContainerStatusOf(*action)
                                 : planned         ? ContainerStatus::kInSync
                                                   : ContainerStatus::kUnknown;
  // What an unreachable host showed before is stale: its containers' state is unknown.
  const bool seen = snap != nullptr && snap->reachable;
  const LiveContainer* live = seen ? LiveNamed(*snap, c.name) : nullptr;
  const std::string reason = action != nullptr ? ReasonText(*action) : "";
  const char* drift_class = action != nullptr && action->reason_kind != ReasonKind::kNone
                                ? DriftClassOf(action->reason_kind)
                                : "";
  nlohmann::json out;
  out["ref"] = c.Ref();
  out["host"] = c.host;
  out["name"] = c.name;
  out["core"] = c.core;
  out["status"] = ContainerStatusName(status);
  out["state"] = !seen             ? nlohmann::json(nullptr)
                 : live != nullptr ? nlohmann::json(live->state)
                                   : nlohmann::json("missing");
  out["health"] = live != nullptr ? StringOrNull(live->health) : nullptr;
  out["image"] = c.spec.image;
  out["image_digest"] = live != nullptr ? ImageDigestOf(*snap, *live, c) : nullptr;
  out["script_digest"] =
      live != nullptr && live->script_digest ? StringOrNull(*live->script_digest) : nullptr;
  out["drift_class"] = StringOrNull(drift_class);
  out["reason"] = StringOrNull(reason);
  out["planned_action"] = action != nullptr && IsExecutable(action->kind)
                              ? nlohmann::json(ActionName(action->kind))
                              : nlohmann::json(nullptr);
  out["observed_at"] = TimeToJson(snap != nullptr ? snap->observed_at : 0);
  out["last_change"] = LastChangeToJson(s, c.Ref());
  out["env"] = EnvToJson(*s.desired, c);
  return out;
}

}  // namespace

nlohmann::json GroupsToJson(const FleetSnapshot& s, const nlohmann::json& drift_loop,
                            const std::vector<RunRecord>& recent_runs) {
  const DesiredState& desired = *s.desired;
  const SnapshotIndex snapshots(s.planned->live());
  const std::map<std::string, StatusCounts> counts = CountByGroup(s.planned->plan);

  std::set<std::string> hosts;
  std::map<std::string, std::vector<std::string>> cores;  // by group: core refs, sorted below
  for (const DesiredContainer& c : desired.containers) {
    hosts.insert(c.host);
    if (c.core)
      for (const std::string& g : c.groups) cores[g].push_back(c.Ref());
  }
  const std::int64_t observed_at = snapshots.Oldest(hosts);

  nlohmann::json doc = ApiDocument("groups");
  doc["project"] = desired.project;
  doc["generated_at"] = TimeToJson(s.now);
  doc["observed_at"] = TimeToJson(observed_at);
  doc["age_seconds"] = AgeToJson(observed_at, s.now);
  doc["drift_loop"] = drift_loop;
  nlohmann::json& groups = doc["groups"] = nlohmann::json::array();
  for (const auto& [name, settings] : desired.groups) {
    auto it = counts.find(name);
    const StatusCounts group_counts = it != counts.end() ? it->second : StatusCounts{};
    std::vector<std::string>& core = cores[name];
    std::sort(core.begin(), core.end());
    groups.push_back({{"name", name},
                      {"status", ContainerStatusName(group_counts.worst())},
                      {"containers", group_counts.total()},
                      {"counts", CountsToJson(group_counts)},
                      {"core", core}});
  }
  nlohmann::json& runs = doc["recent_runs"] = nlohmann::json::array();
  for (const RunRecord& run : recent_runs) runs.push_back(RunToJson(run));
  return doc;
}

Result<nlohmann::json> GroupToJson(const FleetSnapshot& s, const std::string& group) {
  const DesiredState& desired = *s.desired;
  if (desired.groups.count(group) == 0) {
    std::vector<std::string> names;
    for (const auto& [name, settings] : desired.groups) names.push_back(name);
    std::string message = "no group " + QuotedName(group) + " in project " + desired.project;
    if (auto nearest = NearestName(group, names))
      message += " (did you mean " + QuotedName(*nearest) + "?)";
    return Status::NotFound(message);
  }

  std::vector<const DesiredContainer*> members;
  std::set<std::string> hosts;
  for (const DesiredContainer& c : desired.containers) {
    if (!InGroup(c, group)) continue;
    members.push_back(&c);
    hosts.insert(c.host);
  }
  std::sort(members.begin(), members.end(),
            [](const DesiredContainer* a, const DesiredContainer* b) {
              return std::make_tuple(!a->core, std::cref(a->host), std::cref(a->name)) <
                     std::make_tuple(!b->core, std::cref(b->host), std::cref(b->name));
            });

  const SnapshotIndex snapshots(s.planned->live());
  const auto entries = PlanEntriesByRef(s.planned->plan);
  const std::map<std::string, StatusCounts> all_counts = CountByGroup(s.planned->plan);
  auto it = all_counts.find(group);
  const StatusCounts counts = it != all_counts.end() ? it->second : StatusCounts{};
  const std::int64_t observed_at = snapshots.Oldest(hosts);

  nlohmann::json doc = ApiDocument("group");
  doc["project"] = desired.project;
  doc["group"] = group;
  doc["status"] = ContainerStatusName(counts.worst());
  doc["counts"] = CountsToJson(counts);
  doc["observed_at"] = TimeToJson(observed_at);
  doc["age_seconds"] = AgeToJson(observed_at, s.now);
  nlohmann::json& containers = doc["containers"] = nlohmann::json::array();
  for (const DesiredContainer* c : members) {
    auto entry = entries.find(c->Ref());
    const bool planned = entry != entries.end();
    containers.push_back(ContainerToJson(s, *c, planned, planned ? entry->second : nullptr,
                                         snapshots.Find(c->host)));
  }
  return doc;
}

}  // namespace jlrec::serve
