// `jlrec show [GROUP]`: the cached live state, per host, without contacting hosts.
#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/run_context.h"
#include "cli/terminal_output.h"

namespace jlrec::cli {
namespace {

std::string Age(std::int64_t t) {
  if (t == 0) return "never";
  std::int64_t s = std::time(nullptr) - t;
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  if (s < 172800) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

int RunShow(const std::vector<std::string>& args) {
  CommonFlags common;
  bool json = false, all = false;
  po::options_description desc("show options");
  desc.add_options()("groups", po::value<std::vector<std::string>>(), "groups (default: all)")(
      "all", po::bool_switch(&all), "every group")("json", po::bool_switch(&json), "JSON output");
  AddCommonOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("show", "[GROUP...] [options]", desc, "groups", args, vm))
    return *rc;
  SetupLogging(common);
  auto s = SelectFromCommandLine(common, vm);
  if (!s) return 1;
  auto snaps = s->store->LoadSnapshots(s->desired.project, s->hosts);
  auto records = s->store->ListCachedHosts(s->desired.project);
  if (!snaps.ok() || !records.ok()) {
    std::cerr << "jlrec: reading the state cache: "
              << (!snaps.ok() ? snaps.status() : records.status()).message() << "\n";
    return 1;
  }
  std::map<std::string, CachedHostRecord> by_host;
  for (const auto& r : *records) by_host[r.host] = r;

  nlohmann::json doc = {{"format_version", 1},
                        {"project", s->desired.project},
                        {"groups", s->groups},
                        {"hosts", nlohmann::json::array()}};
  for (const auto& h : *snaps) {
    const auto& rec = by_host[h.host];
    nlohmann::json jh = {{"host", h.host},
                         {"reachable", h.reachable},
                         {"error", h.error},
                         {"last_refresh_at", rec.last_refresh_at},
                         {"last_success_at", rec.last_success_at},
                         {"containers", nlohmann::json::array()}};
    if (!json) {
      std::cout << h.host << "  (observed " << Age(rec.last_success_at) << ")";
      if (!h.reachable) std::cout << "  STALE: " << h.error;
      std::cout << "\n";
    }
    for (const auto& c : h.containers) {
      bool managed = c.managed();
      jh["containers"].push_back({{"name", c.name},
                                  {"id", c.id},
                                  {"image", c.spec.image},
                                  {"state", c.state},
                                  {"managed", managed},
                                  {"script_digest", c.script_digest.value_or("")}});
      if (!json)
        std::cout << fmt::format("  {:<28} {:<12} {:<10} {}{}\n", c.name, c.id.substr(0, 12),
                                 c.state, c.spec.image, managed ? "" : "  (unmanaged)");
    }
    if (!json && h.containers.empty()) std::cout << "  (no containers)\n";
    doc["hosts"].push_back(jh);
  }
  if (json) std::cout << JsonText(doc) << "\n";
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("show", "print the cached live state of the groups' hosts (no contact)",
                       RunShow);

}  // namespace jlrec::cli
