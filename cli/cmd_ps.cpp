// `jlrec ps [GROUP...]`: the groups' containers as the hosts run them now (a refresh, which
// also updates the state cache), with state, health, image and uptime, like `docker ps` for
// the whole fleet; exit 1 when a host could not be read.
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "cli/color_policy.h"
#include "cli/command.h"
#include "cli/ps_table.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"
#include "cli/terminal_output.h"
#include "engine/diff.h"
#include "model/strings.h"

namespace jlrec::cli {
namespace {

int RunPs(const std::vector<std::string>& args) {
  CommonFlags common;
  bool all = false, json = false;
  po::options_description desc("ps options");
  desc.add_options()("groups", po::value<std::vector<std::string>>(), "groups (default: all)")(
      "all", po::bool_switch(&all), "every group (the default)")(
      "json", po::bool_switch(&json), "print the containers as JSON (docs/ps-json.md)");
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("ps", "[GROUP...] [options]", desc, "groups", args, vm))
    return *rc;
  SetupLogging(common);
  auto s = SelectFromCommandLine(common, vm);
  if (!s) return 1;
  const DesiredState& desired = s->desired;
  const auto& hosts = s->hosts;

  // The refresh `jlrec refresh` does (the cache is updated), without asking registries about
  // tags: ps shows what runs, not what a plan would change.
  auto out = MakeReconciler(common, desired, *s->store, /*check_image_digests=*/false)
                 ->Refresh(desired, hosts);

  // The project's containers the manifest no longer wants: a plan's orphans (adopted ones
  // included, which carry no labels).
  Remembered remembered;
  std::map<std::string, std::string> adopted;
  if (auto adoptions = s->store->ListAdoptions(desired.project); adoptions.ok()) {
    for (const Adoption& a : *adoptions) adopted[a.Ref()] = a.container_id;
    remembered.adoptions = std::move(*adoptions);
  } else {
    std::cerr << "jlrec: reading the adoptions: " << adoptions.status().message() << "\n";
  }
  DiffOptions diff;
  diff.groups = s->groups;
  auto plan = ComputePlan(desired, out.result, diff, remembered);
  const std::vector<PlanAction> none;
  const auto rows =
      MakePsRows(desired, s->containers, out.result, plan.ok() ? plan->orphans : none, adopted);

  std::map<std::string, std::string> host_errors;
  for (const auto& h : out.result.hosts)
    if (!h.reachable) host_errors[h.host] = h.error;
  const std::int64_t now = std::time(nullptr);
  if (json) {
    std::cout << JsonText(PsJson(desired.project, s->groups, rows, host_errors, now)) << "\n";
  } else {
    PrintPsTable(rows, now, WantColor(STDOUT_FILENO, common.no_color), std::cout);
    for (const auto& [host, error] : host_errors)
      std::cout << "Host " << host << " could not be read (its containers are unknown): " << error
                << "\n";
  }

  int running = 0, orphans = 0;
  for (const auto& r : rows) {
    running += r.state == "running";
    orphans += r.orphan;
  }
  AddOutcome("groups", Join(s->groups, ","));
  AddOutcome("hosts", hosts.size());
  AddOutcome("unreachable", host_errors.size());
  AddOutcome("containers", rows.size());
  AddOutcome("running", running);
  AddOutcome("orphans", orphans);
  if (!host_errors.empty()) {
    std::cerr << "jlrec: could not read " << host_errors.size() << " of " << hosts.size() << " host"
              << (hosts.size() == 1 ? "" : "s") << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("ps",
                       "list the groups' containers as the hosts run them now: state, health, "
                       "image, uptime (refreshes the cache)",
                       RunPs);

}  // namespace jlrec::cli
