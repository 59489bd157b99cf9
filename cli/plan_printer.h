// Human-readable plan output.
#pragma once

#include <ostream>

#include "cli/color_policy.h"  // WantColor, for the printer's callers
#include "engine/plan.h"

namespace jlrec::cli {

/// How to print a plan.
struct PlanPrintOptions {
  bool color = false;    ///< ANSI colours (only when stdout is a terminal and not --no-color)
  bool verbose = false;  ///< also list unchanged containers
};

/// Prints one block per container in execution order, orphans, warnings, host errors and the
/// summary line (`Plan: ...` or `No changes. ...`). A create lists what it makes (image and
/// the digest it resolved to, the spec's fields, role, env, /run.sh); an update that writes
/// /run.sh shows the unified diff of the container's script and the manifest's. Secret
/// values never appear: the changes hold only redacted values, env secrets are listed as
/// (sensitive), and the diff hides values by position (manifests/script_diff.h).
void PrintPlan(const Plan& plan, const PlanPrintOptions& options, std::ostream& os);

/// The one-line summary: "Plan: N to create, ... N unchanged." or the no-changes line.
std::string PlanSummaryLine(const Plan& plan);

}  // namespace jlrec::cli
