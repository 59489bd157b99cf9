// A drift check's findings, derived from a plan: what differs, per container.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/plan.h"

namespace jlrec {

/// One difference between the manifest and a host.
struct DriftItem {
  std::string kind;       ///< DriftClassOf the plan entry's reason: missing, stopped, failed, ...
  std::string host;       ///< host key
  std::string container;  ///< container name ("" for a host-level finding)
  std::vector<std::string> groups;
  std::string detail;  ///< reason, with the differing fields (never secret values)
};

/// The findings of `plan` (made without --prune), in plan order, orphans last.
std::vector<DriftItem> DriftItemsOf(const Plan& plan);

/// "in_sync", "drift" or "error" (error wins).
std::string DriftResultOf(const Plan& plan);

/// The drift report JSON (same schema family as the plan: format_version, project, groups,
/// summary); `kind` = "drift-report".
nlohmann::json DriftReportToJson(const Plan& plan, const std::vector<DriftItem>& items,
                                 std::int64_t checked_at);

}  // namespace jlrec
