#include "cli/plan_printer.h"

#include "cli/terminal_output.h"
#include "engine/diff.h"
#include "engine/spec_text.h"
#include "manifests/diagnostic.h"
#include "manifests/script_diff.h"
#include "model/strings.h"

#include <unistd.h>

#include <algorithm>
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

// Where an action's explanations start: under the reason, past the action's symbol.
constexpr const char* kDetail = "          ";

// The image line of a create: the reference, and the digest its tag resolved to when the
// refresh asked the registry (or why that is not known).
std::string ImageText(const PlanAction& a, bool from_cache) {
  const std::string& image = a.desired->spec.image;
  if (!a.image_digest.empty()) return image + " (" + a.image_digest + ")";
  if (image.find('@') != std::string::npos) return image;  // a digest already
  return image + (from_cache ? " (digest unknown: planned from the state cache)"
                             : " (digest unknown: the registry did not answer in this plan)");
}

// What a create makes, Terraform-like: the spec's fields (model/spec_fields.h: every field
// the container is created with), its role, what it waits for, its env (secret values as
// (sensitive), never the value) and its /run.sh.
void PrintCreated(const PlanAction& a, bool from_cache, std::ostream& os) {
  const DesiredContainer& c = *a.desired;
  struct Row {
    std::string name, value;
    std::vector<std::string> items;
  };
  std::vector<Row> rows;
  for (SpecAttribute& attribute : DescribeSpec(c.spec)) {
    if (attribute.name == "image") attribute.value = ImageText(a, from_cache);
    rows.push_back({attribute.name, attribute.value, attribute.items});
  }
  rows.push_back({"role", c.core ? "core (its group's master)" : "worker", {}});
  if (!c.depends_on.empty()) rows.push_back({"depends_on", Join(c.depends_on), {}});
  // A plan from the cache prints the same whether the manifest's resolution came from the
  // cache too (which keeps no env value and no script) or from a full load.
  const bool rendered = !from_cache && !c.script.empty();
  Row env{"env", "", {}};
  if (!rendered) {
    env.value = "(not listed: planned from the state cache, which keeps no env values)";
  } else if (c.env.empty()) {
    env.value = "(none)";
  } else {
    size_t width = 0;
    for (const auto& [name, value] : c.env) width = std::max(width, name.size());
    for (const auto& [name, value] : c.env)
      env.items.push_back(name + std::string(width - name.size(), ' ') + " = " +
                          (c.secret_env.count(name) ? std::string(kSensitive) : Quoted(value)));
  }
  rows.push_back(std::move(env));
  if (rendered) {
    const auto lines = std::count(c.script.begin(), c.script.end(), '\n');
    rows.push_back({"/run.sh", std::to_string(lines) + " lines, rendered from the manifest", {}});
  }
  size_t width = 0;
  for (const Row& r : rows) width = std::max(width, r.name.size());
  for (const Row& r : rows) {
    os << kDetail << r.name << ":";
    if (!r.value.empty()) os << std::string(width - r.name.size() + 1, ' ') << r.value;
    os << "\n";
    for (const auto& item : r.items)
      os << kDetail << "  " << (r.name == "env" ? "" : "- ") << item << "\n";
  }
}

// True when `a` rewrites the container's /run.sh.
bool WritesScript(const PlanAction& a) {
  return std::any_of(a.changes.begin(), a.changes.end(),
                     [](const FieldChange& c) { return c.field == "script"; });
}

const char* ColorOf(ScriptDiffLine::Kind kind) {
  switch (kind) {
    case ScriptDiffLine::Kind::kFile:
      return "\033[1m";
    case ScriptDiffLine::Kind::kHunk:
      return "\033[36m";
    case ScriptDiffLine::Kind::kDelete:
      return "\033[31m";
    case ScriptDiffLine::Kind::kInsert:
      return "\033[32m";
    default:
      return "";
  }
}

// How the /run.sh an update writes differs from the container's: a unified diff with the
// secrets hidden (manifests/script_diff.h), or why it cannot be shown.
void PrintScriptDiff(const PlanAction& a, bool from_cache, const PlanPrintOptions& o,
                     std::ostream& os) {
  if (from_cache) {  // the same words whether or not the manifest's resolution was cached
    os << kDetail
       << "(no /run.sh diff: planned from the state cache, which keeps no script content)\n";
    return;
  }
  const ScriptDiff diff = DiffRunScript(*a.desired, *a.live);
  if (!diff.withheld.empty()) {
    os << kDetail << "(no /run.sh diff: " << diff.withheld << ")\n";
    return;
  }
  for (const ScriptDiffLine& line : diff.lines) {
    const char* color = o.color ? ColorOf(line.kind) : "";
    os << kDetail << Style{color} << line.text << Style{*color ? "\033[0m" : ""} << "\n";
  }
}

void PrintAction(const PlanAction& a, bool from_cache, const PlanPrintOptions& o,
                 std::ostream& os) {
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
    os << kDetail << c.field << ": " << c.old_value << " -> " << c.new_value << "\n";
  if (!a.pinned_image.empty()) os << kDetail << "pinned: " << a.pinned_image << "\n";
  if (a.kind == ActionKind::kCreate && a.desired) PrintCreated(a, from_cache, os);
  if (a.kind == ActionKind::kUpdate && a.desired && a.live && WritesScript(a))
    PrintScriptDiff(a, from_cache, o, os);
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
  for (const auto& a : plan.actions) PrintAction(a, plan.from_cache, o, os);
  if (o.verbose)
    for (const auto& u : plan.noops) {
      PlanAction a;
      a.host = u.host;
      a.name = u.name;
      a.groups = u.groups;
      a.core = u.core;
      PrintAction(a, plan.from_cache, o, os);
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
