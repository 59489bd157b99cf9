// `jlrec refresh [GROUP...]`: read the live containers of the groups' hosts into the cache.
#include <fmt/format.h>

#include <iostream>

#include "cli/command.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"

namespace jlrec::cli {
namespace {

int RunRefresh(const std::vector<std::string>& args) {
  CommonFlags common;
  bool all = false;
  po::options_description desc("refresh options");
  desc.add_options()("groups", po::value<std::vector<std::string>>(), "groups (default: all)")(
      "all", po::bool_switch(&all), "every group");
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("refresh", "[GROUP...] [options]", desc, "groups", args, vm))
    return *rc;
  SetupLogging(common);
  auto s = SelectFromCommandLine(common, vm);
  if (!s) return 1;
  const auto& hosts = s->hosts;
  auto t0 = std::chrono::steady_clock::now();
  auto out = MakeReconciler(common, s->desired, *s->store)->Refresh(s->desired, hosts);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<std::string> failed;
  size_t containers = 0;
  for (const auto& h : out.result.hosts) {
    if (h.reachable) {
      containers += h.containers.size();
      std::cout << "  " << h.host << ": " << h.containers.size() << " container"
                << (h.containers.size() == 1 ? "" : "s") << "\n";
    } else {
      failed.push_back(h.host);
      std::cout << "  " << h.host << ": UNKNOWN: " << h.error << "\n";
    }
  }
  AddOutcome("hosts", hosts.size());
  AddOutcome("reachable", hosts.size() - failed.size());
  AddOutcome("unreachable", failed.size());
  AddOutcome("containers", containers);
  std::cout << fmt::format(
      "Refreshed {} host{} in {:.2f}s: {} containers seen, {} host{} failed.\n", hosts.size(),
      hosts.size() == 1 ? "" : "s", secs, containers, failed.size(), failed.size() == 1 ? "" : "s");
  if (!failed.empty()) {
    std::string names;
    for (const auto& f : failed) names += (names.empty() ? "" : ", ") + f;
    std::cerr << "jlrec: could not refresh: " << names << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("refresh",
                       "read the live containers of the groups' hosts into the state cache",
                       RunRefresh);

}  // namespace jlrec::cli
