// `jlrec plan GROUP...`: what apply would do, in the order it would do it.
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/plan_flow.h"
#include "cli/plan_printer.h"
#include "cli/terminal_output.h"
#include "engine/plan_json.h"

namespace jlrec::cli {
namespace {

int RunPlan(const std::vector<std::string>& args) {
  CommonFlags common;
  PlanFlags flags;
  flags.digests_suffice = true;  // no script is uploaded: the resolved-manifest cache will do
  bool json = false, detailed = false, verbose = false;
  std::string out;
  po::options_description desc("plan options");
  AddPlanOptions(desc, flags);
  desc.add_options()("json", po::bool_switch(&json), "print the plan as JSON (docs/plan-json.md)")(
      "detailed-exitcode", po::bool_switch(&detailed),
      "exit 0 = no changes, 2 = changes, 1 = error")(
      "out", po::value(&out), "save the plan to FILE for `jlrec apply FILE`")(
      "verbose", po::bool_switch(&verbose), "also list unchanged containers");
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("plan", "GROUP... | --all [options]", desc, "groups", args, vm))
    return *rc;
  SetupLogging(common);

  auto run = MakePlanRun(common, flags, vm);
  if (!run) return 1;
  const Plan& plan = run->plan();

  if (!out.empty()) {
    auto doc = PlanToJson(plan, false);
    doc["kind"] = "saved-plan";
    doc["created_at"] = static_cast<std::int64_t>(std::time(nullptr));
    doc["targets"] = flags.targets;
    doc["prune"] = flags.prune;
    doc["replace_unmanaged"] = flags.replace_unmanaged;
    std::ofstream f(out, std::ios::trunc);
    f << JsonText(doc) << "\n";  // a host's invalid UTF-8 must not make dump() throw
    if (!f.good()) {
      std::cerr << "jlrec: cannot write " << out << "\n";
      return 1;
    }
  }
  if (json) {
    std::cout << JsonText(PlanToJson(plan, verbose)) << "\n";
  } else {
    PlanPrintOptions o;
    o.color = WantColor(STDOUT_FILENO, common.no_color);
    o.verbose = verbose;
    PrintPlan(plan, o, std::cout);
    if (!out.empty())
      std::cout << "Saved the plan to " << out << " (apply it with `jlrec apply " << out << "`).\n";
  }
  int rc = PlanExitCode(plan, detailed);
  AddPlanOutcome(plan);
  std::cout.flush();
  EndRunBeforeExit(run);
  return rc;
}

}  // namespace

JLREC_REGISTER_COMMAND("plan", "show the actions that make the live containers match the manifest",
                       RunPlan);

}  // namespace jlrec::cli
