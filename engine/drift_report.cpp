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
    DriftItem d{"", a.host, a.name, a.groups, a.reason};
    switch (a.kind) {
      case ActionKind::kCreate: d.kind = "missing"; break;
      case ActionKind::kStart: d.kind = "stopped"; break;
      case ActionKind::kUpdate:
        d.kind = "script_changed";
        if (auto f = Fields(a); !f.empty()) d.detail += " (" + f + ")";
        break;
      case ActionKind::kReplace:
        d.kind = a.live && !a.live->managed() ? "conflict" : "spec_changed";
        if (auto f = Fields(a); !f.empty()) d.detail = f;
        break;
      case ActionKind::kConflict: d.kind = "conflict"; break;
      case ActionKind::kUnknown: d.kind = "unknown"; break;
      case ActionKind::kRemove: d.kind = "orphan"; break;
      case ActionKind::kNoop: continue;
    }
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
          {"summary", {{"drifted", items.size()}, {"in_sync", plan.noops.size()}, {"by_kind", counts}}}};
}

}  // namespace jlrec
