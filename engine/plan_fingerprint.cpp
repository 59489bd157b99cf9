#include "engine/plan_fingerprint.h"

#include <algorithm>
#include <map>

#include "model/digest.h"

namespace jlrec {
namespace {

// Fields are joined with a separator no field holds (names, digests and ids never contain
// NUL), each prefixed by its length, so no two different plans serialize alike.
void Field(std::string& out, const std::string& value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\0';
}

std::string RefOfLine(const std::string& line) {
  // "SYMBOL KIND REF (reason)": the third word.
  std::size_t a = line.find(' ');
  std::size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
  if (b == std::string::npos) return line;
  std::size_t c = line.find(' ', b + 1);
  return line.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
}

}  // namespace

std::string PlanFingerprint(const Plan& plan, const std::string& key) {
  std::string s = "jlrec-plan-fingerprint-1";
  s += '\0';
  Field(s, plan.project);
  Field(s, plan.manifest_digest);
  std::vector<std::string> groups = plan.groups;
  std::sort(groups.begin(), groups.end());
  for (const auto& g : groups) Field(s, "group=" + g);
  for (const auto& e : plan.host_errors) Field(s, "unreachable=" + e.host);
  for (const auto& a : plan.actions) {
    Field(s, ActionName(a.kind));
    Field(s, a.Ref());
    Field(s, ReasonKindName(a.reason_kind));
    Field(s, a.adopt ? "adopt" : "");
    Field(s, a.fingerprint.exists ? "exists" : "absent");
    Field(s, a.fingerprint.container_id);
    Field(s, a.fingerprint.spec_digest);
    Field(s, a.fingerprint.script_digest);
    Field(s, a.fingerprint.state);
    Field(s, a.desired ? a.desired->spec.image : "");
    Field(s, a.desired ? a.desired->spec_digest : "");
    Field(s, a.desired ? a.desired->script_digest : "");
    Field(s, a.pinned_image);
  }
  return "hmac-sha256:" + HmacSha256Hex(key, s);
}

std::vector<std::string> PlanOutline(const Plan& plan) {
  std::vector<std::string> lines;
  lines.reserve(plan.actions.size());
  for (const auto& a : plan.actions) {
    std::string symbol = ActionSymbol(a.kind);
    lines.push_back((symbol.empty() ? "=" : symbol) + " " + ActionName(a.kind) + " " + a.Ref() +
                    " (" + DriftClassOf(a.reason_kind) + ")");
  }
  for (const auto& e : plan.host_errors) lines.push_back("? unreachable " + e.host + " (host)");
  return lines;
}

std::string PlanChanges(const std::vector<std::string>& before, const std::vector<std::string>& now,
                        std::size_t max_items) {
  std::map<std::string, std::string> was, is;
  for (const auto& l : before) was[RefOfLine(l)] = l;
  for (const auto& l : now) is[RefOfLine(l)] = l;
  std::vector<std::string> items;
  for (const auto& [ref, line] : is) {
    auto it = was.find(ref);
    if (it == was.end())
      items.push_back(ref + ": newly planned `" + line + "`");
    else if (it->second != line)
      items.push_back(ref + ": now `" + line + "` (was `" + it->second + "`)");
  }
  for (const auto& [ref, line] : was)
    if (!is.count(ref)) items.push_back(ref + ": no longer planned (was `" + line + "`)");
  if (items.empty()) return "";
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max_items; ++i) out += (i ? "; " : "") + items[i];
  if (items.size() > max_items)
    out += "; and " + std::to_string(items.size() - max_items) + " more";
  return out;
}

}  // namespace jlrec
