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

DriftFindings DriftFindingsOf(const Plan& plan) {
  DriftFindings findings;
  for (const auto& a : plan.actions) {
    if (a.kind == ActionKind::kNoop) continue;
    // The class is the reason's (one table: DriftClassOf), so plan and drift agree.
    DriftItem d{DriftClassOf(a.reason_kind), a.host, a.name, a.groups, ReasonText(a)};
    if (a.reason_kind == ReasonKind::kHostUnreachable) {
      findings.unknown.push_back(std::move(d));
      continue;
    }
    if (d.kind.empty()) d.kind = ActionName(a.kind);  // a hand-made plan without reasons
    const std::string fields = Fields(a);
    if (a.reason_kind == ReasonKind::kSpecChanged && !fields.empty())
      d.detail = fields;
    else if (!fields.empty() && (a.kind == ActionKind::kUpdate || a.kind == ActionKind::kReplace))
      d.detail += " (" + fields + ")";
    findings.drifted.push_back(std::move(d));
  }
  for (const auto& o : plan.orphans)
    findings.drifted.push_back({"orphan", o.host, o.name, o.groups, "no longer in the manifest"});
  return findings;
}

std::string DriftResultOf(const Plan& plan) {
  if (plan.HasErrors()) return "error";
  return plan.actions.empty() && plan.orphans.empty() ? "in_sync" : "drift";
}

std::string DriftSummaryOf(const Plan& plan, const DriftFindings& findings) {
  const std::string result = DriftResultOf(plan);
  std::string summary = (result == "in_sync" ? "in sync" : result) + ": " +
                        std::to_string(findings.drifted.size()) + " drifted, ";
  if (!findings.unknown.empty() || !plan.host_errors.empty()) {
    summary += std::to_string(findings.unknown.size()) + " unknown (";
    if (plan.host_errors.size() == 1) {
      summary += "host " + plan.host_errors[0].host + " unreachable: " + plan.host_errors[0].error;
    } else {
      summary += "hosts ";
      for (std::size_t i = 0; i < plan.host_errors.size(); ++i)
        summary += (i ? ", " : "") + plan.host_errors[i].host;
      summary += " unreachable";
    }
    summary += "), ";
  }
  return summary + std::to_string(plan.noops.size()) + " in sync";
}

namespace {
nlohmann::json ItemsToJson(const std::vector<DriftItem>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : items)
    out.push_back({{"kind", d.kind},
                   {"host", d.host},
                   {"container", d.container},
                   {"groups", d.groups},
                   {"detail", d.detail}});
  return out;
}
}  // namespace

nlohmann::json DriftReportToJson(const Plan& plan, const DriftFindings& findings,
                                 std::int64_t checked_at) {
  std::map<std::string, int> counts;
  for (const auto& d : findings.drifted) ++counts[d.kind];
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : plan.host_errors) errors.push_back({{"host", e.host}, {"error", e.error}});
  return {{"format_version", kPlanFormatVersion},
          {"kind", "drift-report"},
          {"project", plan.project},
          {"groups", plan.groups},
          {"checked_at", checked_at},
          {"result", DriftResultOf(plan)},
          {"findings", ItemsToJson(findings.drifted)},
          {"unknown", ItemsToJson(findings.unknown)},
          {"host_errors", errors},
          {"warnings", plan.warnings},
          {"summary",
           {{"drifted", findings.drifted.size()},
            {"unknown", findings.unknown.size()},
            {"in_sync", plan.noops.size()},
            {"by_kind", counts}}}};
}

}  // namespace jlrec
