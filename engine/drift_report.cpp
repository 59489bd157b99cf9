#include "engine/drift_report.h"

#include "engine/plan_json.h"

namespace jlrec {

namespace {
std::string Fields(const PlanAction& a) {
  std::string out;
  for (const auto& c : a.changes) {
    if (c.field == "script") continue;
    out += (out.empty() ? "" : "; ") + c.field + ": " + c.old_value + " -> " + c.new_value;
  }
  return out;
}
}  // namespace

std::vector<DriftItem> DriftItemsOf(const Plan& plan) {
  std::vector<DriftItem> items;
  for (const auto& a : plan.actions) {
    if (a.kind == ActionKind::kNoop) continue;
    // The class is the reason's (one table: DriftClassOf), so plan and drift agree.
    DriftItem d{DriftClassOf(a.reason_kind), a.host, a.name, a.groups, ReasonText(a)};
    if (d.kind.empty()) d.kind = ActionName(a.kind);  // a hand-made plan without reasons
    const std::string fields = Fields(a);
    if (a.reason_kind == ReasonKind::kSpecChanged && !fields.empty())
      d.detail = fields;
    else if (!fields.empty() && (a.kind == ActionKind::kUpdate || a.kind == ActionKind::kReplace))
      d.detail += " (" + fields + ")";
    items.push_back(std::move(d));
  }
  for (const auto& o : plan.orphans)
    items.push_back({"orphan", o.host, o.name, o.groups, "no longer in the manifest"});
  return items;
}

std::string DriftResultOf(const Plan& plan) {
  if (plan.HasErrors()) return "error";
  return plan.actions.empty() && plan.orphans.empty() ? "in_sync" : "drift";
}

nlohmann::json DriftReportToJson(const Plan& plan, const std::vector<DriftItem>& items,
                                 std::int64_t checked_at) {
  nlohmann::json findings = nlohmann::json::array();
  std::map<std::string, int> counts;
  for (const auto& d : items) {
    findings.push_back({{"kind", d.kind},
                        {"host", d.host},
                        {"container", d.container},
                        {"groups", d.groups},
                        {"detail", d.detail}});
    ++counts[d.kind];
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : plan.host_errors) errors.push_back({{"host", e.host}, {"error", e.error}});
  return {{"format_version", kPlanFormatVersion},
          {"kind", "drift-report"},
          {"project", plan.project},
          {"groups", plan.groups},
          {"checked_at", checked_at},
          {"result", DriftResultOf(plan)},
          {"findings", findings},
          {"host_errors", errors},
          {"warnings", plan.warnings},
          {"summary",
           {{"drifted", items.size()}, {"in_sync", plan.noops.size()}, {"by_kind", counts}}}};
}

}  // namespace jlrec
