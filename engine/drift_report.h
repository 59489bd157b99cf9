// A drift check's findings, derived from a plan: what differs, per container, and what could
// not be known.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/plan.h"

namespace jlrec {

/// One difference between the manifest and a host (or one container that could not be read).
struct DriftItem {
  std::string kind;       ///< DriftClassOf the plan entry's reason: missing, stopped, failed, ...
  std::string host;       ///< host key
  std::string container;  ///< container name ("" for a host-level finding)
  std::vector<std::string> groups;
  std::string detail;  ///< reason, with the differing fields (never secret values)
};

/// The findings of a plan, split by what is known.
struct DriftFindings {
  /// What differs, in plan order, orphans last.
  std::vector<DriftItem> drifted;
  /// The containers of hosts that could not be refreshed (class "unknown"), in plan order:
  /// neither drifted nor in sync, so counted apart from both.
  std::vector<DriftItem> unknown;
};

/// The findings of `plan` (made without --prune).
DriftFindings DriftFindingsOf(const Plan& plan);

/// "in_sync", "drift" or "error" (error wins: a host could not be refreshed, so some
/// containers are unknown, or an image exists nowhere).
std::string DriftResultOf(const Plan& plan);

/// The one-line summary: "drift: 2 drifted, 4 in sync", and with unreachable hosts
/// "error: 2 drifted, 3 unknown (host lab3 unreachable: REASON), 4 in sync" (several hosts:
/// "(hosts lab2, lab3 unreachable)"; their reasons are on their own lines).
std::string DriftSummaryOf(const Plan& plan, const DriftFindings& findings);

/// The drift report JSON (same schema family as the plan: format_version, project, groups,
/// summary); `kind` = "drift-report". The unknown containers are in "unknown", not in
/// "findings"; summary.drifted and summary.unknown count them apart (docs/drift-json.md).
nlohmann::json DriftReportToJson(const Plan& plan, const DriftFindings& findings,
                                 std::int64_t checked_at);

}  // namespace jlrec
