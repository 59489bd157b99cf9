// The plan as a versioned JSON document (`plan --json`, saved plans, drift reports).
// Schema: docs/plan-json.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/plan.h"
#include "model/status.h"

namespace jlrec {

/// Version of the plan JSON schema; bumped on any incompatible change.
inline constexpr int kPlanFormatVersion = 1;

/// The plan as JSON. `verbose` adds the unchanged containers. Never contains a secret value:
/// env changes carry the redacted values already in the plan, and scripts are not included.
nlohmann::json PlanToJson(const Plan& plan, bool verbose);

/// Reads a document written by PlanToJson (a saved plan). Desired containers are NOT in the
/// document: the caller re-resolves them from the manifest (whose digest must match).
/// kInvalidArgument for a malformed document or another format_version.
Result<Plan> PlanFromJson(const nlohmann::json& doc);

}  // namespace jlrec
