#include "cli/ps_table.h"

#include <algorithm>
#include <array>
#include <set>
#include <tuple>

#include "cli/terminal_output.h"
#include "model/rfc3339.h"
#include "model/strings.h"

namespace jlrec::cli {

namespace {

constexpr const char* kMissing = "missing";
constexpr const char* kUnknown = "unknown";

PsRow RowOf(const std::string& host, const LiveContainer& lc) {
  PsRow r;
  r.host = host;
  r.name = lc.name;
  r.state = lc.state;
  // Docker keeps the last probe's verdict after a stop; like docker ps, only a live process
  // has a health.
  if (lc.running() || lc.state == "paused") r.health = lc.health;
  r.image = lc.spec.image;
  r.id = lc.id;
  r.started_at = lc.started_at;
  r.finished_at = lc.finished_at;
  r.exit_code = lc.exit_code;
  return r;
}

// Unix seconds of an RFC 3339 time, nullopt for "" or garbage.
std::optional<std::int64_t> SecondsOf(const std::string& text) {
  auto ns = ParseRfc3339(text);
  if (!ns) return std::nullopt;
  return *ns / 1000000000;
}

// The colour of a STATE or HEALTH value: ours, never text from a host.
const char* ColorOf(const std::string& value) {
  if (value == "running" || value == "healthy") return "\033[32m";
  if (value == "starting" || value == "restarting" || value == "paused" || value == "created" ||
      value == "removing")
    return "\033[33m";
  if (value == kUnknown) return "\033[1;31m";
  if (value == "exited" || value == "dead" || value == "unhealthy" || value == kMissing)
    return "\033[31m";
  return "";
}

std::string Note(const PsRow& r) {
  if (r.orphan) return "orphan: not in the manifest (plan --prune removes it)";
  if (r.unmanaged) return "unmanaged: not made by jlrec (plan shows the conflict)";
  return "";
}

}  // namespace

std::vector<PsRow> MakePsRows(const DesiredState& desired,
                              const std::vector<const DesiredContainer*>& selected,
                              const RefreshResult& live, const std::vector<PlanAction>& orphans,
                              const std::map<std::string, std::string>& adopted) {
  std::vector<PsRow> rows;
  rows.reserve(selected.size() + orphans.size());
  for (const DesiredContainer* c : selected) {
    PsRow r;
    const HostSnapshot* snap = live.Find(c->host);
    const LiveContainer* have = nullptr;
    if (snap && snap->reachable)
      for (const auto& lc : snap->containers)
        if (lc.name == c->name) have = &lc;
    if (have) {
      r = RowOf(c->host, *have);
      auto owner = have->jlrec_labels.find(labels::kProject);
      auto adoption = adopted.find(c->Ref());
      const bool ours = owner != have->jlrec_labels.end() && owner->second == desired.project;
      r.unmanaged = !ours && (adoption == adopted.end() || adoption->second != have->id);
    } else {
      r.host = c->host;
      r.name = c->name;
      r.state = snap && snap->reachable ? kMissing : kUnknown;
      if (!snap || !snap->reachable) r.error = snap ? snap->error : "not refreshed";
    }
    r.groups = c->groups;
    r.core = c->core;
    rows.push_back(std::move(r));
  }
  for (const PlanAction& a : orphans) {
    if (!a.live) continue;
    PsRow r = RowOf(a.host, *a.live);
    r.orphan = true;
    r.groups = a.groups;  // its labels', or its adoption's
    r.core = a.core;
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const PsRow& a, const PsRow& b) {
    return std::tie(a.host, a.orphan) < std::tie(b.host, b.orphan);
  });
  return rows;
}

std::string CompactDuration(std::int64_t s) {
  if (s < 0) s = 0;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) {
    const std::int64_t m = s / 60 % 60;
    return std::to_string(s / 3600) + "h" + (m ? std::to_string(m) + "m" : "");
  }
  const std::int64_t h = s / 3600 % 24;
  return std::to_string(s / 86400) + "d" + (h ? std::to_string(h) + "h" : "");
}

std::string UptimeText(const PsRow& r, std::int64_t now) {
  if (r.state == kMissing || r.state == kUnknown) return "-";
  if (r.state == "running" || r.state == "paused") {
    auto started = SecondsOf(r.started_at);
    return started ? CompactDuration(now - *started) : "-";
  }
  if (r.started_at.empty()) return "created";
  // Exited (or dead, restarting): docker ps's "Exited (137) 2 minutes ago", compact.
  std::string text = r.state + " (" + std::to_string(r.exit_code) + ")";
  auto finished = SecondsOf(r.finished_at);
  return finished ? text + " " + CompactDuration(now - *finished) + " ago" : text;
}

void PrintPsTable(const std::vector<PsRow>& rows, std::int64_t now, bool color, std::ostream& os) {
  constexpr std::size_t kColumns = 8;
  using Line = std::array<std::string, kColumns>;
  std::vector<Line> lines;
  lines.push_back({"HOST", "CONTAINER", "GROUP", "ROLE", "STATE", "HEALTH", "IMAGE", "UPTIME"});
  for (const auto& r : rows)
    lines.push_back({r.host, r.name, r.groups.empty() ? "-" : Join(r.groups, ","),
                     r.core ? "core" : "worker", r.state, r.health.empty() ? "-" : r.health,
                     r.image.empty() ? "-" : r.image, UptimeText(r, now)});
  std::array<std::size_t, kColumns> width{};
  for (const auto& line : lines)
    for (std::size_t i = 0; i < kColumns; ++i) width[i] = std::max(width[i], line[i].size());
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const Line& line = lines[n];
    const std::string note = n == 0 ? "" : Note(rows[n - 1]);
    std::string out;
    for (std::size_t i = 0; i < kColumns; ++i) {
      const bool last = i + 1 == kColumns && note.empty();
      const char* style = color && n > 0 && (i == 4 || i == 5) ? ColorOf(line[i]) : "";
      if (*style) os << Style{style};
      os << line[i];
      if (*style) os << Style{"\033[0m"};
      if (!last) os << std::string(width[i] - line[i].size() + (i + 1 < kColumns ? 2 : 0), ' ');
    }
    if (!note.empty()) os << "  " << note;
    os << "\n";
  }
}

nlohmann::json PsJson(const std::string& project, const std::vector<std::string>& groups,
                      const std::vector<PsRow>& rows,
                      const std::map<std::string, std::string>& host_errors, std::int64_t now) {
  nlohmann::json doc = {{"kind", "ps"},
                        {"format_version", 1},
                        {"project", project},
                        {"groups", groups},
                        {"generated_at", FormatRfc3339Utc(now)},
                        {"containers", nlohmann::json::array()},
                        {"host_errors", nlohmann::json::array()}};
  for (const auto& r : rows) {
    nlohmann::json c = {{"host", r.host},
                        {"name", r.name},
                        {"groups", r.groups},
                        {"core", r.core},
                        {"state", r.state},
                        {"health", r.health},
                        {"image", r.image},
                        {"id", r.id},
                        {"started_at", r.started_at},
                        {"finished_at", r.finished_at},
                        {"exit_code", r.exit_code},
                        {"uptime", UptimeText(r, now)},
                        {"orphan", r.orphan},
                        {"unmanaged", r.unmanaged}};
    auto started = SecondsOf(r.started_at);
    c["uptime_seconds"] = r.state == "running" && started
                              ? nlohmann::json(std::max<std::int64_t>(0, now - *started))
                              : nlohmann::json(nullptr);
    doc["containers"].push_back(std::move(c));
  }
  for (const auto& [host, error] : host_errors)
    doc["host_errors"].push_back({{"host", host}, {"error", error}});
  return doc;
}

}  // namespace jlrec::cli
