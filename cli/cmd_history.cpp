// `jlrec history`: the journal of applies (and, with --drift, of drift checks).
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/run_context.h"
#include "cli/terminal_output.h"
#include "model/strings.h"

namespace jlrec::cli {
namespace {

std::string When(std::int64_t t) {
  if (t == 0) return "-";
  char buf[32];
  std::time_t tt = t;
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&tt));
  return buf;
}

// "sha256:0123456789ab" of a digest: enough for a human; --json has the whole value.
std::string Short(const std::string& digest) {
  auto colon = digest.find(':');
  return digest.substr(0, (colon == std::string::npos ? 0 : colon + 1) + 12);
}

int RunHistory(const std::vector<std::string>& args) {
  CommonFlags common;
  int limit = 20;
  bool json = false, drift = false;
  std::int64_t since = 0;
  po::options_description desc("history options");
  desc.add_options()("limit", po::value(&limit)->default_value(20), "newest N runs")(
      "json", po::bool_switch(&json), "JSON output")("drift", po::bool_switch(&drift),
                                                     "drift checks instead of applies")(
      "since", po::value(&since)->default_value(0), "only runs at/after this unix time");
  AddCommonOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("history", "[--limit N] [--json] [--drift]", desc, "", args, vm))
    return *rc;
  SetupLogging(common);
  auto desired = LoadDesiredState(common);
  if (!desired) return 1;
  auto store = OpenStateStore(common, *desired);
  if (!store) return 1;

  nlohmann::json doc = nlohmann::json::array();
  if (drift) {
    auto checks = store->ListDriftChecks(desired->project, since, limit);
    if (!checks.ok()) {
      std::cerr << "jlrec: " << checks.status().message() << "\n";
      return 1;
    }
    for (const auto& c : *checks) {
      nlohmann::json findings = nlohmann::json::array();
      for (const auto& f : c.findings)
        findings.push_back({{"container", f.container}, {"kind", f.kind}, {"detail", f.detail}});
      doc.push_back({{"id", c.id},
                     {"checked_at", c.checked_at},
                     {"groups", c.groups},
                     {"result", c.result},
                     {"detail", c.detail},
                     {"findings", findings}});
      if (!json) {
        std::cout << "#" << c.id << "  " << When(c.checked_at) << "  " << c.result << "  ["
                  << Join(c.groups, ",") << "]  " << c.detail << "\n";
        for (const auto& f : c.findings)
          std::cout << "      " << f.kind << "  " << f.container
                    << (f.detail.empty() ? "" : "  " + f.detail) << "\n";
      }
    }
  } else {
    // Applies and rollbacks: every run that changed hosts, with its release record.
    auto runs = store->ListRuns(desired->project, "", limit, since);
    if (!runs.ok()) {
      std::cerr << "jlrec: " << runs.status().message() << "\n";
      return 1;
    }
    for (const auto& r : *runs) {
      auto actions = store->ListActions(r.id);
      auto release = store->ListRelease(r.id);
      nlohmann::json ja = nlohmann::json::array();
      if (actions.ok())
        for (const auto& a : *actions)
          ja.push_back({{"action", a.action},
                        {"container", a.container},
                        {"started_at", a.started_at},
                        {"finished_at", a.finished_at},
                        {"result", a.result},
                        {"error", a.error}});
      nlohmann::json jr = nlohmann::json::array();
      if (release.ok())
        for (const auto& c : *release)
          jr.push_back({{"host", c.host},
                        {"container", c.container},
                        {"groups", c.groups},
                        {"core", c.core},
                        {"action", c.action},
                        {"outcome", c.outcome},
                        {"image", c.image},
                        {"image_digest", c.image_digest},
                        {"image_id", c.image_id},
                        {"container_id", c.container_id},
                        {"script_digest", c.script_digest}});
      doc.push_back({{"id", r.id},
                     {"kind", r.kind},
                     {"groups", r.groups},
                     {"started_at", r.started_at},
                     {"finished_at", r.finished_at},
                     {"result", r.result},
                     {"detail", r.detail},
                     {"owner", r.owner},
                     {"manifest_digest", r.manifest_digest},
                     {"jlrec_version", r.jlrec_version},
                     {"actions", ja},
                     {"release", jr}});
      if (json) continue;
      std::cout << "#" << r.id << "  " << When(r.started_at) << "  " << r.kind << "  ["
                << Join(r.groups, ",") << "]  " << r.result << "  " << r.detail << "\n";
      if (!r.owner.empty())
        std::cout << "      by " << r.owner << ", jlrec " << r.jlrec_version << ", manifest "
                  << r.manifest_digest.substr(0, 12) << "\n";
      if (actions.ok())
        for (const auto& a : *actions)
          std::cout << "      " << a.result << "  " << a.action << "  " << a.container
                    << (a.error.empty() ? "" : "  " + a.error) << "\n";
      if (release.ok() && !release->empty()) {
        std::cout << "      release:\n";
        for (const auto& c : *release)
          std::cout << "        " << c.host << "/" << c.container << "  " << c.outcome << "  "
                    << (c.image.empty() ? "-" : c.image)
                    << (c.image_digest.empty() ? "" : " @ " + Short(c.image_digest))
                    << (c.script_digest.empty() ? "" : "  script " + c.script_digest.substr(0, 12))
                    << "\n";
      }
    }
  }
  if (json) std::cout << JsonText(doc) << "\n";
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("history",
                       "show past applies and rollbacks with their release records (or drift "
                       "checks) from the journal",
                       RunHistory);

}  // namespace jlrec::cli
