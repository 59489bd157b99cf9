#include "engine/plan_reason.h"

#include <array>
#include <vector>

#include "engine/plan.h"
#include "model/strings.h"

namespace jlrec {

namespace {

struct ReasonInfo {
  ReasonKind kind;
  const char* name;
  const char* drift_class;
};
constexpr std::array<ReasonInfo, 18> kReasons{{
    {ReasonKind::kNone, "", ""},
    {ReasonKind::kMissing, "missing", "missing"},
    {ReasonKind::kSpecChanged, "spec_changed", "spec_changed"},
    {ReasonKind::kTagMoved, "tag_moved", "spec_changed"},
    {ReasonKind::kUnmanaged, "unmanaged", "conflict"},
    {ReasonKind::kScriptChanged, "script_changed", "script_changed"},
    {ReasonKind::kScriptEdited, "script_edited", "script_changed"},
    {ReasonKind::kScriptMissing, "script_missing", "script_changed"},
    {ReasonKind::kRestartPending, "restart_pending", "restart_pending"},
    {ReasonKind::kStopped, "stopped", "stopped"},
    {ReasonKind::kUnhealthy, "unhealthy", "unhealthy"},
    {ReasonKind::kRestartLoop, "restart_loop", "restart_loop"},
    {ReasonKind::kFailed, "failed", "failed"},
    {ReasonKind::kInterrupted, "interrupted", "interrupted"},
    {ReasonKind::kOrphan, "orphan", "orphan"},
    {ReasonKind::kHostUnreachable, "host_unreachable", "unknown"},
    {ReasonKind::kImageNotFound, "image_not_found", "image_not_found"},
    {ReasonKind::kAdoptable, "adoptable", "unadopted"},
}};

// The table is indexed by the enum's values.
constexpr bool TableInEnumOrder() {
  for (std::size_t i = 0; i < kReasons.size(); ++i)
    if (static_cast<std::size_t>(kReasons[i].kind) != i) return false;
  return true;
}
static_assert(TableInEnumOrder());

// "sha256:0123456789ab…": a digest shortened for people (JSON keeps the full value).
std::string ShortDigest(const std::string& d) {
  auto colon = d.find(':');
  size_t keep = (colon == std::string::npos ? 0 : colon + 1) + 12;
  return d.size() > keep ? d.substr(0, keep) + "…" : d;
}

std::string ChangedFields(const PlanAction& a) {
  std::vector<std::string> fields;
  for (const auto& c : a.changes) fields.push_back(c.field);
  return Join(fields);
}

// Who holds the name a kUnmanaged entry wants.
std::string Holder(const ReasonFacts& f) {
  if (f.holder_project.empty()) return "not managed by jlrec (no jlrec labels)";
  if (!f.holder_host.empty())
    return "managed for host '" + f.holder_host + "' (which shares this Docker daemon)";
  return "managed by project '" + f.holder_project + "'";
}

std::string LastExit(const ReasonFacts& f) {
  return "last exit code " + std::to_string(f.exit_code);
}

// The text of `kind` for `a` (a's own kind, or the finding under a failure).
std::string Describe(const PlanAction& a, ReasonKind kind) {
  const ReasonFacts& f = a.reason_facts;
  switch (kind) {
    case ReasonKind::kNone:
      return "";
    case ReasonKind::kMissing:
      return "no container named " + a.name + " on " + a.host;
    case ReasonKind::kSpecChanged:
      return "immutable fields differ: " + ChangedFields(a);
    case ReasonKind::kTagMoved:
      for (const auto& c : a.changes)
        if (c.field == "image")
          return "tag moved " + ShortDigest(c.old_value) + " -> " + ShortDigest(c.new_value);
      return "tag moved";
    case ReasonKind::kUnmanaged:
      if (a.kind == ActionKind::kReplace)
        return "existing container is " + Holder(f) + "; replacing (--replace-unmanaged)";
      if (f.holder_project.empty())
        return "a container made outside jlrec holds this name and differs from the manifest (" +
               ChangedFields(a) + "); skipped (use --replace-unmanaged to replace it)";
      return "a container with this name exists and is " + Holder(f) +
             "; skipped (use --replace-unmanaged to replace it)";
    case ReasonKind::kScriptChanged: {
      bool env_changed = false;
      for (const auto& c : a.changes) env_changed |= c.field != "script";
      if (env_changed) return "/run.sh differs: environment changed";
      if (f.from_cache)  // the cache keeps no env values: it cannot say which
        return "/run.sh differs (a refresh shows which variables changed)";
      return "/run.sh differs (template or script body changed)";
    }
    case ReasonKind::kScriptEdited:
      return "/run.sh was edited in the container since jlrec wrote it";
    case ReasonKind::kScriptMissing:
      return "/run.sh is missing in the container";
    case ReasonKind::kRestartPending:
      return "restart pending: /run.sh was written after the process started, so the process "
             "runs an older /run.sh";
    case ReasonKind::kStopped: {
      const std::string& state = a.fingerprint.state;
      return "container is " + state +
             (state == "exited" ? " (exit code " + std::to_string(f.exit_code) + ")" : "");
    }
    case ReasonKind::kUnhealthy:
      return "Docker's health check reports it unhealthy";
    case ReasonKind::kRestartLoop:
      if (a.fingerprint.state == "restarting")
        return "Docker keeps restarting it: its process exited " + std::to_string(f.restart_count) +
               " times since its last start (" + LastExit(f) + ")";
      // Running again: Docker zeroes the exit code at each start, so the last one is unknown.
      return "Docker restarted it " + std::to_string(f.restart_count) +
             " times since its last start: its process keeps exiting" +
             (a.fingerprint.state == "running" ? "" : " (" + LastExit(f) + ")");
    case ReasonKind::kFailed: {
      std::string why;
      if (a.failure)
        why = a.failure->action + " failed at apply #" + std::to_string(a.failure->run_id) +
              (a.failure->rolled_back ? " and was rolled back" : "") + ": " + a.failure->reason;
      else
        why = "an earlier apply failed on it";
      // The finding under the failure, with its adoption when it has one.
      std::string now = f.now == ReasonKind::kFailed ? "" : Describe(a, f.now);
      if (!now.empty() && a.adopt && f.now != ReasonKind::kAdoptable)
        now = "made outside jlrec and matches the manifest: adopted, then " + now;
      return now.empty() ? why : why + " (now: " + now + ")";
    }
    case ReasonKind::kInterrupted: {
      std::string previous =
          a.previous ? a.previous->name + " (" + a.previous->state + ")" : "NAME.jlrec-prev";
      std::string text = "a replace was interrupted: the previous container is still there as " +
                         previous + ", " +
                         (a.fingerprint.exists ? "the new one is " + a.fingerprint.state
                                               : "the new one was not made") +
                         "; apply finishes it, or puts the previous one back if the new one fails";
      if (f.stopped_run > 0)
        text += " (apply #" + std::to_string(f.stopped_run) + " was stopped during it)";
      return text;
    }
    case ReasonKind::kOrphan:
      return a.kind == ActionKind::kRemove
                 ? "no longer in the manifest"
                 : "orphaned: no longer in the manifest (use --prune to remove)";
    case ReasonKind::kHostUnreachable:
      return "host " + a.host + " could not be refreshed: " + f.detail;
    case ReasonKind::kImageNotFound:
      return "image not found: " + f.image + " (" + f.detail + ")";
    case ReasonKind::kAdoptable:
      if (a.kind == ActionKind::kConflict)  // held back: apply was not told to adopt
        return "made outside jlrec and matches the manifest, but not adopted: apply adopts "
               "only with --adopt (or once you confirm it at the prompt)";
      return "made outside jlrec and matches the manifest: adopted as it is (same container, "
             "no restart)";
  }
  return "";
}

}  // namespace

const char* ReasonKindName(ReasonKind kind) { return kReasons[static_cast<size_t>(kind)].name; }

const char* DriftClassOf(ReasonKind kind) {
  return kReasons[static_cast<size_t>(kind)].drift_class;
}

std::optional<ReasonKind> ParseReasonKind(const std::string& name) {
  for (const auto& r : kReasons)
    if (name == r.name) return r.kind;
  return std::nullopt;
}

std::string ReasonText(const PlanAction& a) {
  std::string text = Describe(a, a.reason_kind);
  // An adoption that also writes /run.sh or restarts says both.
  if (a.adopt && !text.empty() && a.reason_kind != ReasonKind::kAdoptable &&
      a.reason_kind != ReasonKind::kFailed)
    text = "made outside jlrec and matches the manifest: adopted, then " + text;
  return text;
}

}  // namespace jlrec
