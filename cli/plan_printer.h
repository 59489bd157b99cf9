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
/// summary line (`Plan: ...` or `No changes. ...`). Secret values never appear: the plan
/// holds only redacted values.
void PrintPlan(const Plan& plan, const PlanPrintOptions& options, std::ostream& os);

/// The one-line summary: "Plan: N to create, ... N unchanged." or the no-changes line.
std::string PlanSummaryLine(const Plan& plan);

}  // namespace jlrec::cli
