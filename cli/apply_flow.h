// What apply and rollback share once they have a plan: the lock, the confirmation, and a run
// of the executor recorded in the state (journal, failures, release record, cache).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/run_context.h"
#include "engine/plan.h"
#include "model/desired_state.h"
#include "model/live_state.h"
#include "model/provider.h"
#include "model/state_store.h"

namespace jlrec::cli {

/// How a run of the executor goes, from the command line.
struct ApplyFlags {
  bool auto_approve = false;
  int parallelism = 10;
  int max_per_host = 0;  ///< 0 = the manifest's
  bool fail_fast = false;
  double lock_timeout = 0;  ///< seconds
  bool adopt = false;       ///< --adopt: adopt containers made outside jlrec without asking
};

/// Adds --auto-approve, --parallelism, --max-per-host, --fail-fast, --lock-timeout, --adopt.
void AddApplyOptions(po::options_description& desc, ApplyFlags& flags);

/// Takes the project's apply lock (rollback takes the same one); prints the holder when it
/// cannot.
bool TakeApplyLock(StateStore& store, const std::string& project, double timeout_s,
                   ScopedLock& lock);

/// Without --adopt and without a confirmation to ask (--auto-approve), the plan's adoptions
/// are not run: each becomes a `!` entry saying how to adopt it.
void HoldBackAdoptions(Plan& plan, const ApplyFlags& flags);

/// Asks for "yes" on the terminal before running `plan`'s executable actions (unless
/// `auto_approve`), listing the containers it adopts; refuses without a terminal. `verb`
/// names the run in the question ("Apply", "Roll back").
bool ConfirmApply(const Plan& plan, bool auto_approve, const std::string& verb);

/// Has `reconciler` apply `plan` and record it (Reconciler::Apply: journal, failures,
/// adoptions, cache, release record) as a run of `kind` ("apply" or "rollback"), with the
/// flags' parallelism, SIGINT/SIGTERM stopping it and JLREC_FAULT_INJECT for tests. Prints
/// progress and the summary. Returns the exit code: 0 when every action succeeded; 1 when one
/// failed, was skipped or did not start (a conflict included); 130/143 when interrupted by
/// SIGINT/SIGTERM.
int ExecuteAndRecord(const Plan& plan, const DesiredState& desired, Reconciler& reconciler,
                     const std::map<std::string, Provider*>& providers, const ApplyFlags& flags,
                     const std::string& kind, const RefreshResult* before);

}  // namespace jlrec::cli
