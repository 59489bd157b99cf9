// The journal as the API answers it (docs/api.md: runs, run, drift): the state's run, action,
// release and drift-check records as JSON, times as RFC 3339. Pure functions of the records,
// which hold no secret values (the store's contract).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "model/release_record.h"
#include "model/state_store.h"

namespace jlrec::serve {

/// One run as listed by `GET /api/v1/runs`: id, kind, groups, started_at, finished_at (null
/// while running), result, detail, owner, manifest_digest, jlrec_version.
nlohmann::json RunToJson(const RunRecord& run);

/// The `GET /api/v1/runs` document (kind "runs"): `runs` as given (newest first).
nlohmann::json RunsToJson(const std::vector<RunRecord>& runs);

/// The `GET /api/v1/runs/{id}` document (kind "run"): the run, its actions in journal order
/// (action, container, started_at, finished_at, result, error) and its release record (host,
/// container, groups, core, action, outcome, image, image_digest, image_id, container_id,
/// script_digest; digests and ids null when unknown).
nlohmann::json RunDetailToJson(const RunRecord& run, const std::vector<ActionRecord>& actions,
                               const std::vector<ReleasedContainer>& release);

/// The `GET /api/v1/drift` document (kind "drift-history"): each check (id, checked_at,
/// groups, result, detail, findings: container, kind, detail) as given (newest first).
nlohmann::json DriftHistoryToJson(const std::vector<DriftCheckRecord>& checks);

}  // namespace jlrec::serve
