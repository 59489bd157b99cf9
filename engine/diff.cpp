#include "engine/diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "engine/container_spec.h"

namespace jlrec {

namespace {

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string ListValue(const std::vector<std::string>& v) {
  return v.empty() ? "(none)" : "[" + Join(v) + "]";
}

std::string ScalarValue(const std::string& s) { return s.empty() ? "(none)" : s; }

std::string LabelsValue(const std::map<std::string, std::string>& m) {
  std::vector<std::string> kv;
  for (const auto& [k, v] : m) kv.push_back(k + "=" + v);
  return ListValue(kv);
}

std::string NormalRestart(const std::string& r) { return r.empty() ? "no" : r; }

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Immutable fields that differ, old -> new. Empty desired command/network mode mean "the
// image's / Docker's default", which the live side reports resolved, so they are not compared.
std::vector<FieldChange> SpecChanges(const ContainerSpec& want, const ContainerSpec& have) {
  std::vector<FieldChange> out;
  if (want.image != have.image) out.push_back({"image", have.image, want.image});
  if (!want.command.empty() && want.command != have.command)
    out.push_back({"command", ListValue(have.command), ListValue(want.command)});
  if (!want.network_mode.empty() && want.network_mode != have.network_mode)
    out.push_back({"network_mode", ScalarValue(have.network_mode), want.network_mode});
  if (want.volumes != have.volumes)
    out.push_back({"volumes", ListValue(have.volumes), ListValue(want.volumes)});
  if (NormalRestart(want.restart) != NormalRestart(have.restart))
    out.push_back({"restart", NormalRestart(have.restart), NormalRestart(want.restart)});
  if (Sorted(want.ports) != Sorted(have.ports))
    out.push_back({"ports", ListValue(Sorted(have.ports)), ListValue(Sorted(want.ports))});
  if (want.labels != have.labels)
    out.push_back({"labels", LabelsValue(have.labels), LabelsValue(want.labels)});
  return out;
}

std::string Shown(const std::string& name, const std::string& value,
                  const std::set<std::string>& secrets) {
  return secrets.count(name) ? kSensitive : value;
}

// Which exported variables differ between the live /run.sh and the desired one.
std::vector<FieldChange> EnvChanges(const DesiredContainer& want, const LiveContainer& have) {
  std::vector<FieldChange> out;
  if (have.script_env.empty()) return out;  // from the cache: content not known
  for (const auto& [name, value] : want.env) {
    auto it = have.script_env.find(name);
    if (it == have.script_env.end()) {
      out.push_back({"env." + name, "(none)", Shown(name, value, want.secret_env)});
    } else if (it->second != value) {
      out.push_back({"env." + name, Shown(name, it->second, want.secret_env),
                     Shown(name, value, want.secret_env)});
    }
  }
  for (const auto& [name, value] : have.script_env)
    if (!want.env.count(name))
      out.push_back({"env." + name, Shown(name, value, want.secret_env), "(none)"});
  return out;
}

std::string ShortDigest(const std::string& d) {
  // "sha256:0123456789ab…" is enough for a human; JSON carries the full value.
  auto colon = d.find(':');
  size_t keep = (colon == std::string::npos ? 0 : colon + 1) + 12;
  return d.size() > keep ? d.substr(0, keep) + "…" : d;
}

std::string RepoOf(const std::string& ref) {
  // "host:port/name:tag" -> "host:port/name"; a ':' after the last '/' starts the tag.
  auto at = ref.find('@');
  std::string r = at == std::string::npos ? ref : ref.substr(0, at);
  auto slash = r.rfind('/');
  auto colon = r.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    r = r.substr(0, colon);
  return r;
}

// The digest among `repo_digests` that belongs to `repo`, "" if none.
std::string DigestFor(const std::string& repo, const std::vector<std::string>& repo_digests) {
  for (const auto& rd : repo_digests) {
    auto at = rd.find('@');
    if (at != std::string::npos && rd.substr(0, at) == repo) return rd.substr(at + 1);
  }
  return "";
}

// A container jlrec made for another host key that shares this host's Docker daemon.
bool OwnedByOtherHost(const LiveContainer& lc, const std::string& host) {
  auto label = lc.jlrec_labels.find(labels::kHost);
  return label != lc.jlrec_labels.end() && label->second != host;
}

struct Ranked {
  PlanAction action;
  int group_rank;
  int order;
};

}  // namespace

LiveFingerprint FingerprintOf(const LiveContainer* live) {
  LiveFingerprint f;
  if (!live) return f;
  f.exists = true;
  f.container_id = live->id;
  f.spec_digest = SpecDigest(live->spec);
  f.script_digest = live->script_digest.value_or("");
  f.state = live->state;
  return f;
}

Result<std::vector<const DesiredContainer*>> SelectContainers(
    const DesiredState& desired, const std::vector<std::string>& groups,
    const std::vector<std::string>& targets) {
  if (groups.empty()) return Status::InvalidArgument("no group selected");
  for (const auto& g : groups)
    if (!desired.groups.count(g)) {
      std::vector<std::string> known;
      for (const auto& [name, settings] : desired.groups) known.push_back(name);
      return Status::InvalidArgument("unknown group '" + g + "' (groups: " + Join(known) + ")");
    }
  std::set<std::string> group_set(groups.begin(), groups.end());
  std::set<std::string> target_set(targets.begin(), targets.end());
  std::set<std::string> matched;
  std::vector<const DesiredContainer*> out;
  for (const auto& c : desired.containers) {
    bool in_group = std::any_of(c.groups.begin(), c.groups.end(),
                                [&](const std::string& g) { return group_set.count(g) > 0; });
    if (!in_group) continue;
    if (!target_set.empty()) {
      if (!target_set.count(c.Ref())) continue;
      matched.insert(c.Ref());
    }
    out.push_back(&c);
  }
  for (const auto& t : target_set)
    if (!matched.count(t))
      return Status::InvalidArgument("target '" + t +
                                     "' is not a container of the selected groups (use "
                                     "HOST/CONTAINER with the manifest's host key)");
  return out;
}

std::vector<std::string> SelectedHosts(const std::vector<const DesiredContainer*>& selected) {
  std::set<std::string> hosts;
  for (const auto* c : selected) hosts.insert(c->host);
  return {hosts.begin(), hosts.end()};
}

Result<Plan> ComputePlan(const DesiredState& desired, const RefreshResult& live,
                         const DiffOptions& options) {
  auto selected = SelectContainers(desired, options.groups, options.targets);
  if (!selected.ok()) return selected.status();

  Plan plan;
  plan.project = desired.project;
  plan.groups = options.groups;
  plan.manifest_digest = desired.manifest_digest;

  // Index the live side once: (host, name) -> container.
  std::unordered_map<std::string, const HostSnapshot*> snapshots;
  for (const auto& h : live.hosts) snapshots[h.host] = &h;
  std::set<std::string> wanted_anywhere;  // "host/name" of every desired container
  for (const auto& c : desired.containers) wanted_anywhere.insert(c.Ref());

  std::map<std::string, int> group_rank;
  for (size_t i = 0; i < options.groups.size(); ++i) group_rank[options.groups[i]] = int(i);

  std::vector<Ranked> ranked;
  ranked.reserve(selected->size());
  // Per host, name -> live container, built the first time a host is looked at.
  std::unordered_map<const HostSnapshot*, std::unordered_map<std::string, const LiveContainer*>>
      live_by_name;
  std::set<std::string> warned_hosts;
  std::set<std::string> unreachable;
  int order = 0;

  for (const DesiredContainer* c : *selected) {
    PlanAction a;
    a.host = c->host;
    a.name = c->name;
    a.groups = c->groups;
    a.core = c->core;
    int rank = 1 << 20;
    for (const auto& g : c->groups)
      if (group_rank.count(g)) rank = std::min(rank, group_rank[g]);

    auto sit = snapshots.find(c->host);
    const HostSnapshot* snap = sit == snapshots.end() ? nullptr : sit->second;
    if (!snap || !snap->reachable) {
      std::string why = snap ? snap->error : "not refreshed";
      a.kind = ActionKind::kUnknown;
      a.reason = "host " + c->host + " could not be refreshed: " + why;
      if (unreachable.insert(c->host).second) plan.host_errors.push_back({c->host, why});
      a.desired = *c;
      ranked.push_back({std::move(a), rank, order++});
      continue;
    }
    if (snap->from_cache) {
      plan.from_cache = true;
      if (plan.oldest_observation == 0 || snap->observed_at < plan.oldest_observation)
        plan.oldest_observation = snap->observed_at;
    }

    const LiveContainer* have = nullptr;
    if (auto by_name = live_by_name.find(snap); by_name != live_by_name.end()) {
      auto it = by_name->second.find(c->name);
      if (it != by_name->second.end()) have = it->second;
    } else {
      auto& names = live_by_name[snap];
      for (const auto& lc : snap->containers) names[lc.name] = &lc;
      auto it = names.find(c->name);
      if (it != names.end()) have = it->second;
    }

    if (!have) {
      a.kind = ActionKind::kCreate;
      a.reason = "no container named " + c->name + " on " + c->host;
    } else if (!have->managed() || have->jlrec_labels.at(labels::kProject) != desired.project ||
               OwnedByOtherHost(*have, c->host)) {
      std::string who = !have->managed() ? "not managed by jlrec (no jlrec labels)"
                        : have->jlrec_labels.at(labels::kProject) != desired.project
                            ? "managed by project '" + have->jlrec_labels.at(labels::kProject) + "'"
                            : "managed for host '" + have->jlrec_labels.at(labels::kHost) +
                                  "' (which shares this Docker daemon)";
      if (options.replace_unmanaged) {
        a.kind = ActionKind::kReplace;
        a.reason = "existing container is " + who + "; replacing (--replace-unmanaged)";
      } else {
        a.kind = ActionKind::kConflict;
        a.reason = "a container with this name exists and is " + who +
                   "; skipped (use --replace-unmanaged to replace it)";
      }
    } else {
      // A container jlrec created from a pinned digest (the tag had moved) reads back as
      // "repo@sha256:..."; it is the desired image when jlrec wrote this very spec.
      // (The spec-digest label cannot change after create, so it names what jlrec wrote.)
      ContainerSpec have_spec = have->spec;
      auto written = have->jlrec_labels.find(labels::kSpecDigest);
      bool jlrec_wrote_this_spec =
          written != have->jlrec_labels.end() && written->second == c->spec_digest;
      if (jlrec_wrote_this_spec) {
        if (have_spec.image != c->spec.image &&
            have_spec.image.rfind(RepoOf(c->spec.image) + "@", 0) == 0)
          have_spec.image = c->spec.image;
        // Docker reports a command or label equal to the image's own as the image default
        // (an empty command, a missing label): what jlrec wrote is still there.
        if (have_spec.command.empty()) have_spec.command = c->spec.command;
        for (const auto& [k, v] : c->spec.labels)
          if (!have_spec.labels.count(k)) have_spec.labels[k] = v;
      }
      auto changes = SpecChanges(c->spec, have_spec);
      // Same tag, other content: the registry's digest for the tag is not one the running
      // image was pulled as.
      if (changes.empty()) {
        auto reg = snap->registry_digests.find(c->spec.image);
        auto err = snap->image_check_errors.find(c->spec.image);
        if (err != snap->image_check_errors.end() && warned_hosts.insert(c->host).second) {
          plan.warnings.push_back("could not check the registry digest of " + c->spec.image +
                                  " on " + c->host + ": " + err->second);
        }
        if (reg != snap->registry_digests.end() && !reg->second.empty()) {
          auto rd = snap->image_repo_digests.find(have->image_id);
          std::string running = rd == snap->image_repo_digests.end()
                                    ? ""
                                    : DigestFor(RepoOf(c->spec.image), rd->second);
          if (running != reg->second) {
            changes.push_back({"image", running.empty() ? have->image_id : running, reg->second});
            a.pinned_image = RepoOf(c->spec.image) + "@" + reg->second;
            a.reason = "tag moved " + ShortDigest(running.empty() ? have->image_id : running) +
                       " -> " + ShortDigest(reg->second);
          }
        }
      }
      if (!changes.empty()) {
        a.kind = ActionKind::kReplace;
        if (a.reason.empty()) {
          std::vector<std::string> fields;
          for (const auto& ch : changes) fields.push_back(ch.field);
          a.reason = "immutable fields differ: " + Join(fields);
        }
        a.changes = std::move(changes);
      } else if (have->script_digest.value_or("") != c->script_digest) {
        a.kind = ActionKind::kUpdate;
        if (!have->script_digest) {
          a.reason = "/run.sh is missing in the container";
          a.changes.push_back({"script", "(none)", c->script_digest.substr(0, 12)});
        } else {
          a.changes = EnvChanges(*c, *have);
          auto label = have->jlrec_labels.find(labels::kScriptDigest);
          bool hand_edit = label != have->jlrec_labels.end() && label->second == c->script_digest;
          if (hand_edit)
            a.reason = "/run.sh was edited in the container since jlrec wrote it";
          else if (!a.changes.empty())
            a.reason = "/run.sh differs: environment changed";
          else
            a.reason = "/run.sh differs (template or script body changed)";
          a.changes.push_back(
              {"script", have->script_digest->substr(0, 12), c->script_digest.substr(0, 12)});
        }
      } else if (!have->running()) {
        a.kind = ActionKind::kStart;
        a.reason = "container is " + have->state;
        a.changes.push_back({"state", have->state, "running"});
      } else {
        a.kind = ActionKind::kNoop;
      }
    }
    // Unchanged containers are only counted and named, so they skip the copies and the
    // fingerprint (which hashes the live spec): at 10,000 containers that is most of
    // the diff's time.
    if (a.kind != ActionKind::kNoop) {
      a.desired = *c;
      if (have) a.live = *have;
      a.fingerprint = FingerprintOf(have);
    }
    ranked.push_back({std::move(a), rank, order++});
  }

  // Orphans: this project's containers on the selection's hosts that nothing wants there.
  if (options.targets.empty()) {
    for (const auto& host : SelectedHosts(*selected)) {
      auto sit = snapshots.find(host);
      if (sit == snapshots.end() || !sit->second->reachable) continue;
      for (const auto& lc : sit->second->containers) {
        if (!lc.managed() || lc.jlrec_labels.at(labels::kProject) != desired.project) continue;
        if (OwnedByOtherHost(lc, host)) continue;
        if (wanted_anywhere.count(host + "/" + lc.name)) continue;
        PlanAction a;
        a.host = host;
        a.name = lc.name;
        auto g = lc.jlrec_labels.find(labels::kGroups);
        if (g != lc.jlrec_labels.end() && !g->second.empty()) {
          size_t start = 0;
          while (start <= g->second.size()) {
            size_t comma = g->second.find(',', start);
            if (comma == std::string::npos) comma = g->second.size();
            a.groups.push_back(g->second.substr(start, comma - start));
            start = comma + 1;
          }
        }
        auto core = lc.jlrec_labels.find(labels::kCore);
        a.core = core != lc.jlrec_labels.end() && core->second == "true";
        a.live = lc;
        a.fingerprint = FingerprintOf(&lc);
        a.kind = options.prune ? ActionKind::kRemove : ActionKind::kNoop;
        a.reason = options.prune ? "no longer in the manifest"
                                 : "orphaned: no longer in the manifest (use --prune to remove)";
        if (options.prune) {
          ranked.push_back({std::move(a), 1 << 21, order++});
        } else {
          plan.orphans.push_back(std::move(a));
        }
      }
    }
  }

  // Execution order: selected group by group, masters before workers, removals last,
  // otherwise manifest order (stable).
  // (Sorted by index: moving whole PlanActions around costs more than the comparisons.)
  std::vector<size_t> by_order(ranked.size());
  for (size_t i = 0; i < by_order.size(); ++i) by_order[i] = i;
  std::sort(by_order.begin(), by_order.end(), [&](size_t i, size_t j) {
    const Ranked& x = ranked[i];
    const Ranked& y = ranked[j];
    if (x.group_rank != y.group_rank) return x.group_rank < y.group_rank;
    if (x.action.core != y.action.core) return x.action.core;
    return x.order < y.order;
  });
  for (size_t i : by_order) {
    PlanAction& action = ranked[i].action;
    if (action.kind == ActionKind::kNoop)
      plan.noops.push_back(std::move(action));
    else
      plan.actions.push_back(std::move(action));
  }
  return plan;
}

}  // namespace jlrec
