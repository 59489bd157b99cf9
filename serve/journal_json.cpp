#include "serve/journal_json.h"

#include <string>

#include "serve/api_document.h"

namespace jlrec::serve {

namespace {

// A digest or id the record may not know: null rather than "".
nlohmann::json OrNull(const std::string& value) {
  if (value.empty()) return nullptr;
  return value;
}

nlohmann::json ActionToJson(const ActionRecord& a) {
  return {{"action", a.action},
          {"container", a.container},
          {"started_at", TimeToJson(a.started_at)},
          {"finished_at", TimeToJson(a.finished_at)},
          {"result", a.result},
          {"error", a.error}};
}

nlohmann::json ReleasedToJson(const ReleasedContainer& c) {
  return {{"host", c.host},
          {"container", c.container},
          {"groups", c.groups},
          {"core", c.core},
          {"action", c.action},
          {"outcome", c.outcome},
          {"image", OrNull(c.image)},
          {"image_digest", OrNull(c.image_digest)},
          {"image_id", OrNull(c.image_id)},
          {"container_id", OrNull(c.container_id)},
          {"script_digest", OrNull(c.script_digest)}};
}

nlohmann::json DriftCheckToJson(const DriftCheckRecord& check) {
  nlohmann::json findings = nlohmann::json::array();
  for (const DriftFinding& f : check.findings)
    findings.push_back({{"container", f.container}, {"kind", f.kind}, {"detail", f.detail}});
  return {{"id", check.id},         {"checked_at", TimeToJson(check.checked_at)},
          {"groups", check.groups}, {"result", check.result},
          {"detail", check.detail}, {"findings", std::move(findings)}};
}

}  // namespace

nlohmann::json RunToJson(const RunRecord& run) {
  return {{"id", run.id},
          {"kind", run.kind},
          {"groups", run.groups},
          {"started_at", TimeToJson(run.started_at)},
          {"finished_at", TimeToJson(run.finished_at)},
          {"result", run.result},
          {"detail", run.detail},
          {"owner", run.owner},
          {"manifest_digest", run.manifest_digest},
          {"jlrec_version", run.jlrec_version}};
}

nlohmann::json RunsToJson(const std::vector<RunRecord>& runs) {
  nlohmann::json doc = ApiDocument("runs");
  nlohmann::json& list = doc["runs"] = nlohmann::json::array();
  for (const RunRecord& run : runs) list.push_back(RunToJson(run));
  return doc;
}

nlohmann::json RunDetailToJson(const RunRecord& run, const std::vector<ActionRecord>& actions,
                               const std::vector<ReleasedContainer>& release) {
  nlohmann::json doc = ApiDocument("run");
  doc["run"] = RunToJson(run);
  nlohmann::json& jactions = doc["actions"] = nlohmann::json::array();
  for (const ActionRecord& a : actions) jactions.push_back(ActionToJson(a));
  nlohmann::json& jrelease = doc["release"] = nlohmann::json::array();
  for (const ReleasedContainer& c : release) jrelease.push_back(ReleasedToJson(c));
  return doc;
}

nlohmann::json DriftHistoryToJson(const std::vector<DriftCheckRecord>& checks) {
  nlohmann::json doc = ApiDocument("drift-history");
  nlohmann::json& list = doc["checks"] = nlohmann::json::array();
  for (const DriftCheckRecord& check : checks) list.push_back(DriftCheckToJson(check));
  return doc;
}

}  // namespace jlrec::serve
