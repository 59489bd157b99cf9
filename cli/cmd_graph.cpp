// `jlrec graph GROUP...`: the apply graph of the current plan, in Graphviz DOT.
#include <iostream>

#include "cli/command.h"
#include "cli/plan_flow.h"
#include "engine/apply_graph.h"

namespace jlrec::cli {
namespace {

int RunGraph(const std::vector<std::string>& args) {
  CommonFlags common;
  PlanFlags flags;
  flags.digests_suffice = true;  // no script is uploaded: the resolved-manifest cache will do
  po::options_description desc("graph options");
  AddPlanOptions(desc, flags);
  AddCommonOptions(desc, common);
  AddHostOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("graph", "GROUP... | --all [options]   (| dot -Tsvg > g.svg)",
                                 desc, "groups", args, vm))
    return *rc;
  SetupLogging(common);
  auto run = MakePlanRun(common, flags, vm);
  if (!run) return 1;
  auto graph = BuildApplyGraph(run->plan());
  if (!graph.ok()) {
    std::cerr << "jlrec: " << graph.status().message() << "\n";
    return 1;
  }
  WriteDot(*graph, std::cout);
  return run->plan().HasErrors() ? 1 : 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("graph", "print the apply graph of the plan in Graphviz DOT", RunGraph);

}  // namespace jlrec::cli
