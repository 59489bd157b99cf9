// `jlrec unlock --force`: remove a stuck apply lock.
#include <iostream>

#include "cli/command.h"
#include "cli/run_context.h"
#include "cli/run_outcome.h"
#include "model/lock_holder.h"
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
  const StateChoice* state = StateFor(common, desired->manifest_path);
  const bool shared = state && state->location.is_postgres();
  std::string name = which + ":" + desired->project;
  AddOutcome("lock", name);
  if (!force) {
    auto holder = store->LockHolder(name);
    if (!holder.ok()) {
      AddOutcome("result", "error");
      std::cerr << "jlrec: " << holder.status().message() << "\n";
      return 1;
    }
    AddOutcome("result", holder->has_value() ? "held" : "free");
    if (!holder->has_value()) {
      std::cout << "Lock " << name << " is free.\n";
      return 1;
    }
    std::cout << "Lock " << name << ": " << DescribeLockHolder(**holder) << ".\n";
    // PostgreSQL frees a lock with its holder's session: a lock still held has a live holder.
    if (shared)
      std::cout << "It is freed when that process ends (the database ends its session); "
                   "--force is refused while it lives.\n";
    else
      std::cout << "Pass --force to remove it (only if that process is gone).\n";
    return 1;
  }
  auto prev = store->ForceUnlock(name);
  if (!prev.ok()) {
    // kConflict: the holder's session lives (PostgreSQL): the message names it.
    AddOutcome("result", prev.status().code() == Status::Code::kConflict ? "refused" : "error");
    std::cerr << "jlrec unlock: " << prev.status().message() << "\n";
    return 1;
  }
  AddOutcome("result", prev->has_value() ? "removed" : "was-free");
  if (prev->has_value())
    std::cout << "Removed lock " << name << ", " << DescribeLockHolder(**prev) << ".\n";
  else
    std::cout << "Lock " << name << " was free.\n";
  return 0;
}

}  // namespace

JLREC_REGISTER_COMMAND("unlock", "remove a stuck apply (or drift) lock (--force)", RunUnlock);

}  // namespace jlrec::cli
