#include "engine/diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "model/container_spec.h"
#include "model/image_reference.h"
#include "model/rfc3339.h"
#include "model/spec_fields.h"
#include "model/strings.h"
#include "model/suggestion.h"

namespace jlrec {

namespace {

std::string ListValue(const std::vector<std::string>& v) {
  return v.empty() ? "(none)" : "[" + Join(v) + "]";
}

std::string ScalarValue(const std::string& s) { return s.empty() ? "(none)" : s; }

std::string LabelsValue(const std::map<std::string, std::string>& m) {
  std::vector<std::string> kv;
  for (const auto& [k, v] : m) kv.push_back(k + "=" + v);
  return ListValue(kv);
}

std::string DurationValue(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s"
                               : std::to_string(d.count()) + "ms";
}

std::string HealthcheckValue(const std::optional<Healthcheck>& h) {
  if (!h) return "(none)";
  return ListValue(h->command) + " every " + DurationValue(h->interval) + ", timeout " +
         DurationValue(h->timeout) + ", " + std::to_string(h->retries) + " retries";
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// A string field's value as compared and shown: empty as what it stands for, if anything
// (restart "" is "no").
std::string Normal(const FieldTraits& field, const std::string& s) {
  return field.empty == Empty::kSameAs && s.empty() ? std::string(field.empty_is) : s;
}

// Whether a field's desired and live values differ, after the field's normalisation.
template <class T>
bool FieldDiffers(const FieldTraits& field, const T& want, const T& have) {
  if constexpr (std::is_same_v<T, std::string>) {
    return Normal(field, want) != Normal(field, have);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return want != have && (!field.unordered || Sorted(want) != Sorted(have));
  } else {
    return want != have;
  }
}

// A field's value as a plan shows it.
template <class T>
std::string FieldText(const FieldTraits& field, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return field.empty == Empty::kInvalid ? value : ScalarValue(Normal(field, value));
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return ListValue(field.unordered ? Sorted(value) : value);
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    return LabelsValue(value);
  } else if constexpr (std::is_same_v<T, std::optional<Healthcheck>>) {
    return HealthcheckValue(value);
  } else {
    static_assert(kUnsupportedFieldType<T>, "a plan has no text for this field type");
  }
}

// Immutable fields that differ, old -> new, in field list order (model/spec_fields.h) and
// named as there. A field whose empty value is the image's or Docker's default (command,
// network mode) is not compared when the desired one is empty: the live side reports the
// default resolved. No healthcheck in the manifest still differs from one jlrec wrote: the
// image's own reads back as none (docker_container_json.h), so what remains was asked for.
std::vector<FieldChange> SpecChanges(const ContainerSpec& want, const ContainerSpec& have) {
  std::vector<FieldChange> out;
  ForEachField<ContainerSpec>([&](const auto& field) {
    const FieldTraits& traits = field.traits;
    if (traits.empty == Empty::kImageDefault && HoldsDefault(field, want)) return;
    if (!FieldDiffers(traits, field.Of(want), field.Of(have))) return;
    out.push_back({std::string(traits.name), FieldText(traits, field.Of(have)),
                   FieldText(traits, field.Of(want))});
  });
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

// The jlrec label keys as strings made once: looking labels up by `const char*` would build
// (and for the longer keys, allocate) a key string per lookup, and the diff looks up
// several labels of every container.
const std::string kProjectKey = labels::kProject;
const std::string kHostKey = labels::kHost;
const std::string kSpecDigestKey = labels::kSpecDigest;
const std::string kScriptDigestKey = labels::kScriptDigest;

// The value of jlrec label `key` on `lc`, nullptr when absent.
const std::string* LabelOf(const LiveContainer& lc, const std::string& key) {
  auto it = lc.jlrec_labels.find(key);
  return it == lc.jlrec_labels.end() ? nullptr : &it->second;
}

// A container jlrec made for another host key that shares this host's Docker daemon.
bool OwnedByOtherHost(const LiveContainer& lc, const std::string& host) {
  const std::string* label = LabelOf(lc, kHostKey);
  return label && *label != host;
}

// Where one entry of the plan goes in execution order.
struct Slot {
  int group_rank;
  bool core;
  int order;
  bool noop;  // true: index into the selection; false: index into the acted-on actions
  size_t index;
};

// True when `lc` is this project's container for host `host` (not another project's, not
// an unmanaged one, not another host key's on a shared daemon).
bool IsOurs(const LiveContainer& lc, const std::string& project, const std::string& host) {
  const std::string* owner = LabelOf(lc, kProjectKey);
  return owner && *owner == project && !OwnedByOtherHost(lc, host);
}

// Docker restarted a running container this often since its last start through the API: its
// process keeps exiting. (A start or restart through the API resets the count.)
constexpr int kRestartLoopCount = 3;

// Is the container's process older than its /run.sh? Then it did not start from that file.
// The stat key's mtime is on the host's clock (Provider::UploadFile's contract), as is
// StartedAt. The mtime has at most one-second resolution from an upload, so an upload in the
// very second of the start is not caught: a missed warning, never a false one.
bool ScriptWrittenAfterStart(const LiveContainer& lc) {
  if (lc.script_stat.empty() || lc.started_at.empty()) return false;
  std::optional<std::int64_t> written = FileModifiedAt(lc.script_stat);
  std::optional<std::int64_t> started = ParseRfc3339(lc.started_at);
  return written && started && *written > *started;
}

// What a container whose spec and script match still needs, from what the host shows of
// its process: a start, a restart, or nothing.
void DecideRuntime(const LiveContainer& have, PlanAction& a) {
  if (have.restarting()) {
    a.kind = ActionKind::kUpdate;
    a.reason_kind = ReasonKind::kRestartLoop;
    a.reason_facts.restart_count = have.restart_count;
    a.reason_facts.exit_code = have.exit_code;
    a.changes.push_back({"state", "restarting", "running"});
  } else if (!have.running()) {
    a.kind = ActionKind::kStart;
    a.reason_kind = ReasonKind::kStopped;
    a.reason_facts.exit_code = have.exit_code;
    a.changes.push_back({"state", have.state, "running"});
  } else if (have.health == "unhealthy") {
    a.kind = ActionKind::kUpdate;
    a.reason_kind = ReasonKind::kUnhealthy;
    a.changes.push_back({"health", "unhealthy", "healthy"});
  } else if (have.restart_count >= kRestartLoopCount) {
    a.kind = ActionKind::kUpdate;
    a.reason_kind = ReasonKind::kRestartLoop;
    a.reason_facts.restart_count = have.restart_count;
    a.reason_facts.exit_code = have.exit_code;
    a.changes.push_back({"restarts", std::to_string(have.restart_count), "0"});
  } else if (ScriptWrittenAfterStart(have)) {
    a.kind = ActionKind::kUpdate;
    a.reason_kind = ReasonKind::kRestartPending;
    // The stat key is "SIZE:MODE:MTIME": its mtime text follows the second colon.
    const std::string& key = have.script_stat;
    const std::string written = key.substr(key.find(':', key.find(':') + 1) + 1);
    a.changes.push_back(
        {"started_at", have.started_at, "later than /run.sh (written " + written + ")"});
  } else {
    a.kind = ActionKind::kNoop;
  }
}

// The failure an earlier apply recorded for `c`, when it still concerns it: the manifest asks
// for what failed, and the container the failure left is the one under that name now.
bool FailureStillApplies(const ActionFailure& f, const DesiredContainer& c,
                         const LiveContainer* have) {
  return f.spec_digest == c.spec_digest && f.script_digest == c.script_digest &&
         (have ? have->id : std::string()) == f.container_id;
}

// Marks `a` as carrying on from failure `f`: its reason says what failed, and a container
// that now looks in sync is redone (a failed create or replace is made again, a failed update
// or start restarted and checked again).
void CarryFailure(const ActionFailure& f, const LiveContainer* have, PlanAction& a) {
  if (a.kind == ActionKind::kConflict || a.kind == ActionKind::kUnknown) return;
  const bool remake = f.action == "create" || f.action == "replace";
  // What the host shows of the failed container (stopped, unhealthy, ...) asks for a start
  // or a restart; a failed create or replace is made again all the same.
  const bool start_or_restart =
      a.kind == ActionKind::kStart ||
      (a.kind == ActionKind::kUpdate &&
       (a.reason_kind == ReasonKind::kUnhealthy || a.reason_kind == ReasonKind::kRestartLoop ||
        a.reason_kind == ReasonKind::kRestartPending));
  if (a.kind == ActionKind::kNoop)
    a.kind = !have ? ActionKind::kCreate : remake ? ActionKind::kReplace : ActionKind::kUpdate;
  else if (start_or_restart && remake && have)
    a.kind = ActionKind::kReplace;
  a.reason_facts.now = a.reason_kind;
  a.reason_kind = ReasonKind::kFailed;
  a.failure = f;
}

// An interrupted replace: `previous` (NAME.jlrec-prev) is the container it replaced. (The new
// one, if it was made, is the action's live container.)
void DecideInterrupted(const DesiredContainer& c, const LiveContainer& previous, PlanAction& a) {
  a.kind = ActionKind::kReplace;
  a.reason_kind = ReasonKind::kInterrupted;
  a.previous = previous;
  a.changes = SpecChanges(c.spec, previous.spec);
}

// The NAME.jlrec-prev container an interrupted replace of `c` left among `names` (a host's
// containers by name), or nullptr. Only jlrec names containers so; it is taken for `c`'s when
// it carries no other project's or unit's labels (an unmanaged container replaced with
// --replace-unmanaged has none).
template <typename NameMap>
const LiveContainer* PreviousOf(const DesiredContainer& c, const NameMap& names,
                                const std::string& project) {
  auto it = names.find(c.name + kPreviousSuffix);
  if (it == names.end()) return nullptr;
  const LiveContainer& lc = *it->second;
  const std::string* owner = LabelOf(lc, kProjectKey);
  auto unit = lc.jlrec_labels.find(labels::kUnit);
  if (owner && *owner != project) return nullptr;
  if (unit != lc.jlrec_labels.end() && unit->second != c.Ref()) return nullptr;
  return &lc;
}

// What a container whose spec matches still needs: its /run.sh written (an update), or what
// the host shows of its process asks for (DecideRuntime).
void DecideScriptAndRuntime(const DesiredContainer& c, const LiveContainer& have,
                            const HostSnapshot& snap, PlanAction& a) {
  if (have.script_digest && *have.script_digest == c.script_digest) return DecideRuntime(have, a);
  a.kind = ActionKind::kUpdate;
  if (!have.script_digest) {
    a.reason_kind = ReasonKind::kScriptMissing;
    a.changes.push_back({"script", "(none)", c.script_digest.substr(0, 12)});
    return;
  }
  a.changes = EnvChanges(c, have);
  const std::string* label = LabelOf(have, kScriptDigestKey);
  bool hand_edit = label && *label == c.script_digest;
  a.reason_kind = hand_edit ? ReasonKind::kScriptEdited : ReasonKind::kScriptChanged;
  a.reason_facts.from_cache = snap.from_cache;
  a.changes.push_back({"script", have.script_digest->substr(0, 12), c.script_digest.substr(0, 12)});
}

// The tag `c` wants now points at a digest the running image was not pulled as: the image
// change (old: what runs, new: the registry's digest), or nullopt (same, or unknown).
std::optional<FieldChange> TagMove(const DesiredContainer& c, const LiveContainer& have,
                                   const HostSnapshot& snap) {
  auto reg = snap.registry_digests.find(c.spec.image);
  if (reg == snap.registry_digests.end() || reg->second.empty()) return std::nullopt;
  auto rd = snap.image_repo_digests.find(have.image_id);
  std::string running =
      rd == snap.image_repo_digests.end() ? "" : DigestFor(RepoOf(c.spec.image), rd->second);
  if (running == reg->second) return std::nullopt;
  return FieldChange{"image", running.empty() ? have.image_id : running, reg->second};
}

// A container made outside jlrec has no Docker health check unless it asked for one: the
// manifest's healthcheck then is only apply's gate for it, never a reason to recreate it
// (it gets Docker's check when it is next replaced).
std::vector<FieldChange> AdoptableSpecChanges(const ContainerSpec& want,
                                              const ContainerSpec& have) {
  std::vector<FieldChange> changes = SpecChanges(want, have);
  if (!have.healthcheck)
    std::erase_if(changes, [](const FieldChange& c) { return c.field == "healthcheck"; });
  return changes;
}

// A container without any jlrec label holds the name `c` wants (the legacy script made it).
// When everything that would force a replace matches the manifest (image by digest,
// command, network mode, restart policy, volumes, ports, user labels) it is adopted as it
// is, then written and started like any of jlrec's own; otherwise it is a conflict that
// says which fields differ.
void DecideUnlabelled(const DesiredContainer& c, const LiveContainer& have,
                      const HostSnapshot& snap, PlanAction& a) {
  std::vector<FieldChange> changes = AdoptableSpecChanges(c.spec, have.spec);
  if (changes.empty())
    if (auto moved = TagMove(c, have, snap)) changes.push_back(*moved);
  if (!changes.empty()) {
    a.kind = ActionKind::kConflict;
    a.reason_kind = ReasonKind::kUnmanaged;
    a.changes = std::move(changes);
    return;
  }
  DecideScriptAndRuntime(c, have, snap, a);
  a.adopt = true;
  if (a.kind == ActionKind::kNoop) {
    a.kind = ActionKind::kAdopt;
    a.reason_kind = ReasonKind::kAdoptable;
  }
}

// Decides what `c` needs given its live container `have` (nullptr: none by that name) and
// the NAME.jlrec-prev container `previous` an interrupted replace left (nullptr: none) on the
// reachable host `snap`: sets kind, reason kind and facts, changes and pinned_image of `a`.
void Decide(const DesiredContainer& c, const LiveContainer* have, const LiveContainer* previous,
            bool adopted, const HostSnapshot& snap, const std::string& project,
            const DiffOptions& options, std::set<std::string>& warned_hosts, Plan& plan,
            PlanAction& a) {
  const bool ours = have && (adopted || IsOurs(*have, project, c.host));
  if (previous && (!have || ours)) {
    DecideInterrupted(c, *previous, a);
  } else if (!have) {
    a.kind = ActionKind::kCreate;
    a.reason_kind = ReasonKind::kMissing;
  } else if (!ours && !have->managed() && !options.replace_unmanaged) {
    DecideUnlabelled(c, *have, snap, a);
  } else if (!ours) {
    a.reason_kind = ReasonKind::kUnmanaged;
    if (have->managed()) {
      a.reason_facts.holder_project = have->jlrec_labels.at(labels::kProject);
      if (a.reason_facts.holder_project == project)
        a.reason_facts.holder_host = have->jlrec_labels.at(labels::kHost);
    }
    a.kind = options.replace_unmanaged ? ActionKind::kReplace : ActionKind::kConflict;
  } else {
    // A container jlrec created from a pinned digest (the tag had moved) reads back as
    // "repo@sha256:..."; it is the desired image when jlrec wrote this very spec.
    // (The spec-digest label cannot change after create, so it names what jlrec wrote.)
    const std::string* written = LabelOf(*have, kSpecDigestKey);
    bool jlrec_wrote_this_spec = written && *written == c.spec_digest;
    // Docker reports a command or label equal to the image's own as the image default
    // (an empty command, a missing label): what jlrec wrote is still there. The live spec
    // is only copied when it needs one of these corrections.
    const ContainerSpec* have_spec = &have->spec;
    std::optional<ContainerSpec> corrected;
    if (jlrec_wrote_this_spec) {
      bool pinned = have->spec.image != c.spec.image &&
                    have->spec.image.rfind(RepoOf(c.spec.image) + "@", 0) == 0;
      bool default_command = have->spec.command.empty() && !c.spec.command.empty();
      bool default_label =
          std::any_of(c.spec.labels.begin(), c.spec.labels.end(),
                      [&](const auto& kv) { return !have->spec.labels.count(kv.first); });
      bool default_healthcheck = !have->spec.healthcheck && c.spec.healthcheck;
      if (pinned || default_command || default_label || default_healthcheck) {
        corrected = have->spec;
        if (pinned) corrected->image = c.spec.image;
        if (default_command) corrected->command = c.spec.command;
        for (const auto& [k, v] : c.spec.labels) corrected->labels.emplace(k, v);
        if (default_healthcheck) corrected->healthcheck = c.spec.healthcheck;
        have_spec = &*corrected;
      }
    }
    auto changes =
        adopted ? AdoptableSpecChanges(c.spec, *have_spec) : SpecChanges(c.spec, *have_spec);
    // Same tag, other content: the registry's digest for the tag is not one the running
    // image was pulled as.
    if (changes.empty())
      if (auto moved = TagMove(c, *have, snap)) {
        changes.push_back(*moved);
        a.pinned_image = RepoOf(c.spec.image) + "@" + moved->new_value;
        a.reason_kind = ReasonKind::kTagMoved;
      }
    if (!changes.empty()) {
      a.kind = ActionKind::kReplace;
      if (a.reason_kind == ReasonKind::kNone) a.reason_kind = ReasonKind::kSpecChanged;
      a.changes = std::move(changes);
    } else {
      DecideScriptAndRuntime(c, *have, snap, a);
    }
  }

  // An image that exists nowhere: the container cannot be made, whatever else it needs. A
  // registry that could not say is only a warning: the host may have the image.
  auto missing = snap.missing_images.find(c.spec.image);
  if (auto err = snap.image_check_errors.find(c.spec.image); err != snap.image_check_errors.end() &&
                                                             missing == snap.missing_images.end() &&
                                                             warned_hosts.insert(c.host).second)
    plan.warnings.push_back("could not check the registry digest of " + c.spec.image + " on " +
                            c.host + ": " + err->second);
  if (missing != snap.missing_images.end()) {
    if (a.kind == ActionKind::kCreate || a.kind == ActionKind::kReplace) {
      a.kind = ActionKind::kUnknown;
      a.reason_kind = ReasonKind::kImageNotFound;
      a.reason_facts = ReasonFacts{};
      a.reason_facts.image = c.spec.image;
      a.reason_facts.detail = missing->second;
      a.pinned_image.clear();
    } else if (warned_hosts.insert(c.host + " " + c.spec.image).second) {
      plan.warnings.push_back("image " + c.spec.image + " is in neither its registry nor on " +
                              c.host + " (" + missing->second +
                              "); its containers there cannot be made again");
    }
  }
}

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

namespace {

// Why `target` names no container of the selected groups, with what it most likely meant:
// a container of another group, the one container of that name (HOST/ left out), or the
// nearest HOST/CONTAINER of the selection (else of the manifest).
std::string UnknownTarget(const DesiredState& desired, const std::set<std::string>& groups,
                          const std::string& target) {
  const std::string head = "target '" + target + "' is not a container of the selected groups";
  std::vector<std::string> selected, everywhere, same_name;
  for (const auto& c : desired.containers) {
    const std::string ref = c.Ref();
    if (ref == target)
      return head + " (it is in " + Join(c.groups) + "; name that group, or --all)";
    const bool in_group = std::any_of(c.groups.begin(), c.groups.end(),
                                      [&](const std::string& g) { return groups.count(g) > 0; });
    (in_group ? selected : everywhere).push_back(ref);
    if (in_group && c.name == target) same_name.push_back(ref);
  }
  if (same_name.size() == 1) return head + ": did you mean '" + same_name[0] + "'?";
  if (same_name.size() > 1)
    return head + " (containers of that name: " + Join(same_name) + "; name one as HOST/CONTAINER)";
  auto nearest = NearestName(target, selected);
  if (!nearest) nearest = NearestName(target, everywhere);
  if (nearest) return head + ": did you mean '" + *nearest + "'?";
  return head + " (use HOST/CONTAINER with the manifest's host key)";
}

}  // namespace

Result<std::vector<const DesiredContainer*>> SelectContainers(
    const DesiredState& desired, const std::vector<std::string>& groups,
    const std::vector<std::string>& targets) {
  if (groups.empty()) return Status::InvalidArgument("no group selected");
  for (const auto& g : groups)
    if (!desired.groups.count(g)) {
      std::vector<std::string> known;
      for (const auto& [name, settings] : desired.groups) known.push_back(name);
      if (auto nearest = NearestName(g, known))
        return Status::InvalidArgument("unknown group '" + g + "': did you mean '" + *nearest +
                                       "'?");
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
    if (!matched.count(t)) return Status::InvalidArgument(UnknownTarget(desired, group_set, t));
  return out;
}

std::vector<std::string> SelectedHosts(const std::vector<const DesiredContainer*>& selected) {
  std::set<std::string> hosts;
  const std::string* previous = nullptr;  // units list their containers host by host
  for (const auto* c : selected) {
    if (previous && *previous == c->host) continue;
    hosts.insert(c->host);
    previous = &c->host;
  }
  return {hosts.begin(), hosts.end()};
}

Result<Plan> ComputePlan(const DesiredState& desired, const RefreshResult& live,
                         const DiffOptions& options, const Remembered& remembered) {
  auto selected = SelectContainers(desired, options.groups, options.targets);
  if (!selected.ok()) return selected.status();

  Plan plan;
  plan.project = desired.project;
  plan.groups = options.groups;
  plan.manifest_digest = desired.manifest_digest;

  // Index the live side once: (host, name) -> container.
  std::unordered_map<std::string_view, const HostSnapshot*> snapshots;
  for (const auto& h : live.hosts) snapshots[h.host] = &h;

  std::map<std::string, int> group_rank;
  for (size_t i = 0; i < options.groups.size(); ++i) group_rank[options.groups[i]] = int(i);

  // Containers with something to do become PlanActions at once; unchanged ones (most of
  // them, and at 10,000 containers most of the diff's time) only get a slot, and their
  // PlanAction is built in place once the order is known.
  std::vector<PlanAction> acted;
  std::vector<Slot> slots;
  slots.reserve(selected->size());
  // Per host, name -> live container, built the first time a host is looked at.
  std::unordered_map<const HostSnapshot*,
                     std::unordered_map<std::string_view, const LiveContainer*>>
      live_by_name;
  auto names_of = [&](const HostSnapshot* snap) -> const auto& {
    auto [by_name, first_look] = live_by_name.try_emplace(snap);
    if (first_look) {
      by_name->second.reserve(snap->containers.size());
      for (const auto& lc : snap->containers) by_name->second.emplace(lc.name, &lc);
    }
    return by_name->second;
  };
  std::set<std::string> warned_hosts;
  std::set<std::string> unreachable;
  int order = 0;
  std::unordered_map<std::string, const ActionFailure*> failure_by_ref;
  for (const ActionFailure& f : remembered.failures) failure_by_ref.emplace(f.Ref(), &f);
  std::unordered_map<std::string, const Adoption*> adoption_by_ref;
  for (const Adoption& ad : remembered.adoptions) adoption_by_ref.emplace(ad.Ref(), &ad);
  // The adoption of the live container `lc` on `host`, if it is the very container adopted.
  auto adoption_of = [&](const std::string& host, const LiveContainer& lc) -> const Adoption* {
    if (lc.managed()) return nullptr;  // labelled: jlrec's own, or another project's
    auto it = adoption_by_ref.find(host + "/" + lc.name);
    return it != adoption_by_ref.end() && it->second->container_id == lc.id ? it->second : nullptr;
  };

  for (size_t index = 0; index < selected->size(); ++index) {
    const DesiredContainer* c = (*selected)[index];
    PlanAction a;
    int rank = 1 << 20;
    for (const auto& g : c->groups)
      if (auto it = group_rank.find(g); it != group_rank.end()) rank = std::min(rank, it->second);

    auto sit = snapshots.find(c->host);
    const HostSnapshot* snap = sit == snapshots.end() ? nullptr : sit->second;
    const LiveContainer* have = nullptr;
    if (!snap || !snap->reachable) {
      std::string why = snap ? snap->error : "not refreshed";
      a.kind = ActionKind::kUnknown;
      a.reason_kind = ReasonKind::kHostUnreachable;
      a.reason_facts.detail = why;
      if (unreachable.insert(c->host).second) plan.host_errors.push_back({c->host, why});
    } else {
      if (snap->from_cache) {
        plan.from_cache = true;
        if (plan.oldest_observation == 0 || snap->observed_at < plan.oldest_observation)
          plan.oldest_observation = snap->observed_at;
      }
      const auto& names = names_of(snap);
      if (auto it = names.find(c->name); it != names.end()) have = it->second;
      const LiveContainer* previous = PreviousOf(*c, names, desired.project);
      const bool adopted = have && adoption_of(c->host, *have);
      Decide(*c, have, previous, adopted, *snap, desired.project, options, warned_hosts, plan, a);
      if (a.reason_kind == ReasonKind::kInterrupted)
        if (auto run = remembered.unfinished_runs.find(c->Ref());
            run != remembered.unfinished_runs.end())
          a.reason_facts.stopped_run = run->second;
      if (auto f = failure_by_ref.find(c->Ref());
          f != failure_by_ref.end() && FailureStillApplies(*f->second, *c, have))
        CarryFailure(*f->second, have, a);
    }

    if (a.kind == ActionKind::kNoop) {
      slots.push_back({rank, c->core, order++, true, index});
      continue;
    }
    a.host = c->host;
    a.name = c->name;
    a.groups = c->groups;
    a.core = c->core;
    a.desired = *c;
    if (have) {
      a.live = *have;
      a.fingerprint = FingerprintOf(have);
    }
    slots.push_back({rank, c->core, order++, false, acted.size()});
    acted.push_back(std::move(a));
  }

  // Orphans: this project's containers on the selection's hosts that nothing wants there.
  if (options.targets.empty()) {
    // Which live containers the manifest wants (in any group): marked by position.
    std::unordered_map<const HostSnapshot*, std::vector<char>> wanted;
    for (const auto& h : live.hosts)
      if (h.reachable) wanted[&h].assign(h.containers.size(), 0);
    for (const auto& c : desired.containers) {
      auto sit = snapshots.find(c.host);
      if (sit == snapshots.end() || !sit->second->reachable) continue;
      const auto& names = names_of(sit->second);
      if (auto it = names.find(c.name); it != names.end())
        wanted[sit->second][it->second - sit->second->containers.data()] = 1;
      // An interrupted replace's previous container belongs to the replace's action.
      if (const LiveContainer* previous = PreviousOf(c, names, desired.project))
        wanted[sit->second][previous - sit->second->containers.data()] = 1;
    }
    for (const auto& host : SelectedHosts(*selected)) {
      auto sit = snapshots.find(host);
      if (sit == snapshots.end() || !sit->second->reachable) continue;
      const std::vector<char>& wanted_here = wanted[sit->second];
      for (size_t i = 0; i < sit->second->containers.size(); ++i) {
        const LiveContainer& lc = sit->second->containers[i];
        const Adoption* adopted = adoption_of(host, lc);
        const std::string* owner = LabelOf(lc, kProjectKey);
        if (!adopted && (!owner || *owner != desired.project)) continue;
        if (OwnedByOtherHost(lc, host)) continue;
        if (wanted_here[i]) continue;
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
        if (adopted) {  // no labels: the adoption record says what it was
          a.groups = adopted->groups;
          a.core = adopted->core;
        }
        a.live = lc;
        a.fingerprint = FingerprintOf(&lc);
        a.kind = options.prune ? ActionKind::kRemove : ActionKind::kNoop;
        a.reason_kind = ReasonKind::kOrphan;
        if (options.prune) {
          slots.push_back({1 << 21, a.core, order++, false, acted.size()});
          acted.push_back(std::move(a));
        } else {
          plan.orphans.push_back(std::move(a));
        }
      }
    }
  }

  // Execution order: selected group by group, masters before workers, removals last,
  // otherwise manifest order (stable).
  std::sort(slots.begin(), slots.end(), [](const Slot& x, const Slot& y) {
    if (x.group_rank != y.group_rank) return x.group_rank < y.group_rank;
    if (x.core != y.core) return x.core;
    return x.order < y.order;
  });
  plan.actions.reserve(acted.size());
  plan.noops.reserve(slots.size() - acted.size());
  for (const Slot& slot : slots) {
    if (!slot.noop) {
      plan.actions.push_back(std::move(acted[slot.index]));
      continue;
    }
    const DesiredContainer& c = *(*selected)[slot.index];
    UnchangedContainer& a = plan.noops.emplace_back();
    a.host = c.host;
    a.name = c.name;
    a.groups = c.groups;
    a.core = c.core;
  }
  return plan;
}

}  // namespace jlrec
