// `jlrec unlock --force`: remove a stuck apply lock.
#include <iostream>

#include "cli/command.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"
#include "model/suggestion.h"

namespace jlrec::cli {
namespace {

int RunUnlock(const std::vector<std::string>& args) {
  CommonFlags common;
  bool force = false;
  std::string which = "apply";
  po::options_description desc("unlock options");
  desc.add_options()("force", po::bool_switch(&force),
                     "required: remove the lock whoever holds it")(
      "lock", po::value(&which)->default_value("apply"), "which lock: apply or drift");
  AddCommonOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("unlock", "--force [options]", desc, "", args, vm)) return *rc;
  SetupLogging(common);
  if (which != "apply" && which != "drift") {
    auto nearest = NearestName(which, {"apply", "drift"});
    std::cerr << "jlrec unlock: --lock " << which << ": expected apply or drift"
              << (nearest ? ": did you mean '" + *nearest + "'?" : "") << "\n";
    return 1;
  }
  auto desired = LoadDesiredState(common);
  if (!desired) return 1;
  auto store = OpenStateStore(common, *desired);
  if (!store) return 1;
  std::string name = which + ":" + desired->project;
  AddOutcome("lock", name);
  if (!force) {
    auto holder = store->LockHolder(name);
    AddOutcome("result", holder.ok() && holder->has_value() ? "held" : "free");
    if (holder.ok() && holder->has_value())
      std::cout << "Lock " << name << " is held by " << (*holder)->owner << " (pid "
                << (*holder)->pid << " on " << (*holder)->hostname
                << "). Pass --force to remove it.\n";
    else
      std::cout << "Lock " << name << " is free.\n";
    return 1;
  }
  auto prev = store->ForceUnlock(name);
  if (!prev.ok()) {
    std::cerr << "jlrec: " << prev.status().message() << "\n";
    return 1;
  }
  AddOutcome("result", prev->has_value() ? "removed" : "was-free");
  if (prev->has_value())
    std::cout << "Removed lock " << name << " held by " << (*prev)->owner << " (pid "
              << (*prev)->pid << " on " << (*prev)->hostname << ").\n";
  else
    std::cout << "Lock " << name << " was free.\n";
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("unlock", "remove a stuck apply (or drift) lock (--force)", RunUnlock);

}  // namespace jlrec::cli
