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

}  // namespace

// The table is indexed by the enums' values.
constexpr bool TableInEnumOrder() {
  for (std::size_t i = 0; i < kKinds.size(); ++i)
    if (static_cast<std::size_t>(kKinds[i].kind) != i) return false;
  return true;
}
static_assert(TableInEnumOrder());

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

int HoldBackAdoptions(Plan& plan) {
  int n = 0;
  for (PlanAction& a : plan.actions) {
    if (!a.adopt) continue;
    // Held back: a conflict for want of --adopt (ReasonText says so).
    a.kind = ActionKind::kConflict;
    a.adopt = false;
    a.reason_kind = ReasonKind::kAdoptable;
    a.reason_facts = ReasonFacts{};
    ++n;
  }
  return n;
}

bool Plan::HasChanges() const {
  for (const auto& a : actions)
    if (IsExecutable(a.kind)) return true;
  return false;
}

}  // namespace jlrec
