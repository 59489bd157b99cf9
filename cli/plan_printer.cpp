#include "cli/plan_printer.h"

#include "cli/terminal_output.h"
#include "model/strings.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>

namespace jlrec::cli {

namespace {

// Our colours go past the terminal filter (cli/terminal_output.h) as Styles; everything
// else written here is escaped by it.
const char* ColorOf(ActionKind k) {
  switch (k) {
    case ActionKind::kCreate:
      return "\033[32m";
    case ActionKind::kReplace:
      return "\033[35m";
    case ActionKind::kUpdate:
      return "\033[33m";
    case ActionKind::kStart:
      return "\033[36m";
    case ActionKind::kRemove:
      return "\033[31m";
    case ActionKind::kConflict:
    case ActionKind::kUnknown:
      return "\033[1;31m";
    case ActionKind::kAdopt:
      return "\033[34m";
    default:
      return "";
  }
}

// The word after the groups: the action, or what it amounts to when its name alone would
// mislead (an update that only restarts, a replace that finishes an interrupted one).
std::string ActionLabel(const PlanAction& a) {
  switch (a.reason_kind) {
    case ReasonKind::kRestartPending:
      return "restart pending";
    case ReasonKind::kUnhealthy:
    case ReasonKind::kRestartLoop:
      return "restart";
    case ReasonKind::kInterrupted:
      return "replace (finish interrupted)";
    case ReasonKind::kFailed:
      return std::string(ActionName(a.kind)) + " (redo failed)";
    case ReasonKind::kImageNotFound:
      return "image not found";
    default:
      return ActionName(a.kind);
  }
}

void PrintAction(const PlanAction& a, const PlanPrintOptions& o, std::ostream& os) {
  if (a.adopt && a.kind != ActionKind::kAdopt) {
    // An adoption that also changes the container: the adoption first, on a line of its own.
    const Style on{o.color ? ColorOf(ActionKind::kAdopt) : ""};
    os << "  " << on << "  " << ActionSymbol(ActionKind::kAdopt) << " " << a.Ref()
       << Style{o.color ? "\033[0m" : ""} << "  [" << Join(a.groups) << (a.core ? ", core" : "")
       << "]  adopt\n        made outside jlrec and matches the manifest: adopted as it is\n";
  }
  std::string symbol = ActionSymbol(a.kind);
  if (symbol.empty()) symbol = " ";
  std::string pad(symbol.size() < 3 ? 3 - symbol.size() : 0, ' ');
  const Style on{o.color ? ColorOf(a.kind) : ""};
  const Style off{o.color ? "\033[0m" : ""};
  os << "  " << on << pad << symbol << " " << a.Ref() << off << "  [" << Join(a.groups)
     << (a.core ? ", core" : "") << "]";
  if (a.kind != ActionKind::kNoop) os << "  " << ActionLabel(a);
  os << "\n";
  if (std::string reason = ReasonText(a); !reason.empty()) os << "        " << reason << "\n";
  for (const auto& c : a.changes)
    os << "          " << c.field << ": " << c.old_value << " -> " << c.new_value << "\n";
  if (!a.pinned_image.empty()) os << "          pinned: " << a.pinned_image << "\n";
}

std::string Age(std::int64_t since) {
  std::int64_t s = std::time(nullptr) - since;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace

std::string PlanSummaryLine(const Plan& plan) {
  // What keeps the manifest from being reached besides the changes: never "match" then.
  std::string notes;
  int failed = 0;
  for (const auto& a : plan.actions) failed += a.reason_kind == ReasonKind::kFailed;
  if (failed) notes += " " + std::to_string(failed) + " failed earlier.";
  if (int c = plan.Count(ActionKind::kConflict))
    notes += " " + std::to_string(c) + " conflict" + (c > 1 ? "s" : "") + " skipped.";
  int unknown = 0;
  for (const auto& a : plan.actions) unknown += a.reason_kind == ReasonKind::kImageNotFound;
  if (unknown) notes += " " + std::to_string(unknown) + " cannot be applied (image not found).";
  if (!plan.HasChanges()) {
    if (!plan.host_errors.empty()) return "No changes planned for the reachable hosts." + notes;
    if (!notes.empty())
      return "No changes can be applied, but the manifest is not reached:" + notes;
    return "No changes. Live containers match the manifest.";
  }
  const int adoptions = plan.Adoptions();
  return "Plan: " + (adoptions ? std::to_string(adoptions) + " to adopt, " : std::string()) +
         std::to_string(plan.Count(ActionKind::kCreate)) + " to create, " +
         std::to_string(plan.Count(ActionKind::kReplace)) + " to replace, " +
         std::to_string(plan.Count(ActionKind::kUpdate)) + " to update, " +
         std::to_string(plan.Count(ActionKind::kStart)) + " to start, " +
         std::to_string(plan.Count(ActionKind::kRemove)) + " to remove. " +
         std::to_string(plan.noops.size()) + " unchanged." + notes;
}

void PrintPlan(const Plan& plan, const PlanPrintOptions& o, std::ostream& os) {
  if (plan.from_cache)
    os << "Planned from the state cache (--refresh=false): oldest observation "
       << Age(plan.oldest_observation) << " old; hosts were not contacted.\n\n";
  for (const auto& a : plan.actions) PrintAction(a, o, os);
  if (o.verbose)
    for (const auto& u : plan.noops) {
      PlanAction a;
      a.host = u.host;
      a.name = u.name;
      a.groups = u.groups;
      a.core = u.core;
      PrintAction(a, o, os);
    }
  if (!plan.orphans.empty()) {
    os << "\nOrphaned (use --prune to remove):\n";
    for (const auto& a : plan.orphans) os << "    " << a.Ref() << "  [" << Join(a.groups) << "]\n";
  }
  if (!plan.warnings.empty()) {
    os << "\n";
    for (const auto& w : plan.warnings) os << "Warning: " << w << "\n";
  }
  if (!plan.host_errors.empty()) {
    os << "\n";
    for (const auto& e : plan.host_errors)
      os << Style{o.color ? "\033[1;31m" : ""} << "Error:" << Style{o.color ? "\033[0m" : ""}
         << " host " << e.host << " could not be refreshed: " << e.error << "\n";
  }
  if (!plan.actions.empty() || !plan.orphans.empty() || !plan.warnings.empty() ||
      !plan.host_errors.empty() || plan.from_cache)
    os << "\n";
  os << PlanSummaryLine(plan) << "\n";
}

}  // namespace jlrec::cli
