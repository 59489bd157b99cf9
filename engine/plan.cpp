#include "engine/plan.h"

#include <array>

namespace jlrec {

namespace {
struct KindInfo {
  ActionKind kind;
  const char* symbol;
  const char* name;
};
constexpr std::array<KindInfo, 9> kKinds{{
    {ActionKind::kNoop, "", "noop"},
    {ActionKind::kCreate, "+", "create"},
    {ActionKind::kReplace, "-/+", "replace"},
    {ActionKind::kUpdate, "~", "update"},
    {ActionKind::kStart, ">", "start"},
    {ActionKind::kRemove, "-", "remove"},
    {ActionKind::kConflict, "!", "conflict"},
    {ActionKind::kUnknown, "?", "unknown"},
    {ActionKind::kAdopt, "=", "adopt"},
}};

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
}  // namespace

// The tables are indexed by the enums' values.
constexpr bool TablesInEnumOrder() {
  for (std::size_t i = 0; i < kKinds.size(); ++i)
    if (static_cast<std::size_t>(kKinds[i].kind) != i) return false;
  for (std::size_t i = 0; i < kReasons.size(); ++i)
    if (static_cast<std::size_t>(kReasons[i].kind) != i) return false;
  return true;
}
static_assert(TablesInEnumOrder());

const char* ReasonKindName(ReasonKind kind) { return kReasons[static_cast<size_t>(kind)].name; }
const char* DriftClassOf(ReasonKind kind) {
  return kReasons[static_cast<size_t>(kind)].drift_class;
}

std::optional<ReasonKind> ParseReasonKind(const std::string& name) {
  for (const auto& r : kReasons)
    if (name == r.name) return r.kind;
  return std::nullopt;
}

const char* ActionSymbol(ActionKind kind) { return kKinds[static_cast<size_t>(kind)].symbol; }
const char* ActionName(ActionKind kind) { return kKinds[static_cast<size_t>(kind)].name; }

std::optional<ActionKind> ParseActionKind(const std::string& name) {
  for (const auto& k : kKinds)
    if (name == k.name) return k.kind;
  return std::nullopt;
}

bool IsExecutable(ActionKind kind) {
  switch (kind) {
    case ActionKind::kCreate:
    case ActionKind::kReplace:
    case ActionKind::kUpdate:
    case ActionKind::kStart:
    case ActionKind::kRemove:
    case ActionKind::kAdopt:
      return true;
    default:
      return false;
  }
}

int Plan::Count(ActionKind kind) const {
  if (kind == ActionKind::kNoop) return static_cast<int>(noops.size());
  int n = 0;
  for (const auto& a : actions) n += a.kind == kind;
  return n;
}

bool Plan::HasErrors() const { return !host_errors.empty() || Count(ActionKind::kUnknown) > 0; }

int Plan::Adoptions() const {
  int n = 0;
  for (const auto& a : actions) n += a.adopt;
  return n;
}

bool Plan::HasChanges() const {
  for (const auto& a : actions)
    if (IsExecutable(a.kind)) return true;
  return false;
}

}  // namespace jlrec
